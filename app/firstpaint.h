#pragma once

// Shared by the startup benchmark's two contestants (gpuwb and a bare QMainWindow): when
// GPUWB_EXIT_AFTER_FIRST_PAINT is set, the program prints "painted rss_kb=N" to stdout once
// its main window has painted for the first time, and exits.

#include <QApplication>
#include <QEvent>
#include <QFile>
#include <QTimer>
#include <QWidget>

#include <cstdio>

class FirstPaintReporter : public QObject
{
public:
    explicit FirstPaintReporter(QWidget *window) : QObject(window), m_window(window) {}

    static void installIfAsked(QWidget *window)
    {
        if (qEnvironmentVariableIsSet("GPUWB_EXIT_AFTER_FIRST_PAINT"))
            qApp->installEventFilter(new FirstPaintReporter(window));
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (!m_done && event->type() == QEvent::Paint && watched->isWidgetType()
            && static_cast<QWidget *>(watched)->window() == m_window) {
            m_done = true;
            // Report once this paint has been flushed to the screen.
            QTimer::singleShot(0, m_window, [] {
                std::printf("painted rss_kb=%ld\n", residentKb());
                std::fflush(stdout);
                QApplication::exit(0);
            });
        }
        return false;
    }

private:
    static long residentKb()
    {
        QFile status(QStringLiteral("/proc/self/status"));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').first().toLong();
        return -1;
    }

    QWidget *m_window;
    bool m_done = false;
};
