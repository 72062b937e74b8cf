// The startup benchmark's anchor: a bare QMainWindow, started and painted the same way.
#include "app/firstpaint.h"

#include <QApplication>
#include <QMainWindow>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QMainWindow window;
    window.resize(1400, 900);
    FirstPaintReporter::installIfAsked(&window);
    window.show();
    return app.exec();
}
