#include "app/terminalprompter.h"

#include "core/ssh/remotepath.h"

#include <QMutexLocker>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

void appendOctal(QByteArray &out, unsigned char byte)
{
    out += '\\';
    out += char('0' + ((byte >> 6) & 7));
    out += char('0' + ((byte >> 3) & 7));
    out += char('0' + (byte & 7));
}

// The length of the valid UTF-8 sequence at `i` and its code point, or 0 when it is not one
// (overlong forms, surrogates and values past U+10FFFF are not valid).
int utf8Sequence(const QByteArray &bytes, qsizetype i, char32_t *codePoint)
{
    const auto byte = [&](qsizetype k) { return static_cast<unsigned char>(bytes[k]); };
    const unsigned char c = byte(i);
    int length = 0;
    unsigned char low = 0x80, high = 0xBF; // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        if (c == 0xE0)
            low = 0xA0;
        else if (c == 0xED)
            high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        if (c == 0xF0)
            low = 0x90;
        else if (c == 0xF4)
            high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > bytes.size())
        return 0;
    if (byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    char32_t cp = c & (0xFF >> (length + 1));
    for (int k = 1; k < length; ++k) {
        const unsigned char next = byte(i + k);
        if (k > 1 && (next < 0x80 || next > 0xBF))
            return 0;
        cp = (cp << 6) | (next & 0x3F);
    }
    *codePoint = cp;
    return length;
}

// Characters that are valid but would control the terminal or the layout: C1 controls (some
// terminals read U+009B as CSI), line and paragraph separators, bidirectional overrides.
bool isHiddenControl(char32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029
        || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

} // namespace

QByteArray TerminalPrompter::printable(const QByteArray &bytes)
{
    QByteArray out;
    out.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size();) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c < 0x80) {
            switch (c) {
            case '\\': out += "\\\\"; break;
            case '\a': out += "\\a"; break;
            case '\b': out += "\\b"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\v': out += "\\v"; break;
            case '\f': out += "\\f"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7F)
                    appendOctal(out, c);
                else
                    out += char(c);
            }
            ++i;
            continue;
        }
        char32_t cp = 0;
        const int length = utf8Sequence(bytes, i, &cp);
        if (length == 0) {
            appendOctal(out, c);
            ++i;
            continue;
        }
        for (int k = 0; k < length; ++k) {
            if (isHiddenControl(cp))
                appendOctal(out, static_cast<unsigned char>(bytes[i + k]));
            else
                out += bytes[i + k];
        }
        i += length;
    }
    return out;
}

QByteArray TerminalPrompter::printable(const QString &text)
{
    return printable(toRemoteBytes(text));
}

TerminalPrompter::TerminalPrompter(QString alias) : m_alias(std::move(alias))
{
    if (::pipe2(m_wakePipe, O_CLOEXEC | O_NONBLOCK) != 0)
        m_wakePipe[0] = m_wakePipe[1] = -1;
}

TerminalPrompter::~TerminalPrompter()
{
    for (int fd : m_wakePipe) {
        if (fd >= 0)
            ::close(fd);
    }
}

void TerminalPrompter::interrupt()
{
    m_interrupted = true;
    if (m_wakePipe[1] >= 0) {
        const char byte = 1;
        [[maybe_unused]] const ssize_t n = ::write(m_wakePipe[1], &byte, 1);
    }
}

QString TerminalPrompter::refusal() const
{
    QMutexLocker lock(&m_refusalMutex);
    return m_refusal;
}

void TerminalPrompter::setRefusal(const QString &text)
{
    QMutexLocker lock(&m_refusalMutex);
    m_refusal = text;
}

namespace {

// The controlling terminal, opened for one prompt and closed afterwards.
class Tty
{
public:
    Tty() : m_fd(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}
    ~Tty()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int fd() const { return m_fd; }
    void write(const QByteArray &text) const
    {
        qsizetype done = 0;
        while (done < text.size()) {
            const ssize_t n = ::write(m_fd, text.constData() + done, size_t(text.size() - done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return;
            done += n;
        }
    }

private:
    int m_fd;
};

} // namespace

TerminalPrompter::Read TerminalPrompter::readLine(int tty, bool echo, QByteArray *line)
{
    termios saved = {};
    const bool hideInput = !echo && ::tcgetattr(tty, &saved) == 0;
    if (hideInput) {
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    Read result = Read::Line;
    line->clear();
    for (;;) {
        if (m_interrupted) {
            result = Read::Interrupted;
            break;
        }
        pollfd fds[2] = {{tty, POLLIN, 0}, {m_wakePipe[0], POLLIN, 0}};
        const int ready = ::poll(fds, m_wakePipe[0] >= 0 ? 2 : 1, -1);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            result = Read::NoTerminal;
            break;
        }
        if (fds[1].revents & POLLIN) {
            result = Read::Interrupted;
            break;
        }
        char buffer[256];
        const ssize_t n = ::read(tty, buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) { // end of input (Ctrl-D) or the terminal went away
            result = line->isEmpty() ? Read::NoTerminal : Read::Line;
            break;
        }
        line->append(buffer, n);
        if (const qsizetype newline = line->indexOf('\n'); newline >= 0) {
            line->truncate(newline);
            break;
        }
    }
    if (hideInput)
        ::tcsetattr(tty, TCSAFLUSH, &saved);
    if (line->endsWith('\r'))
        line->chop(1);
    return result;
}

bool TerminalPrompter::acceptHostKey(const SshHostKeyInfo &key)
{
    QMutexLocker lock(&m_promptMutex);
    if (m_interrupted)
        return false;
    const Tty tty;
    if (tty.fd() < 0) {
        setRefusal(u"the host key of %1 (%2 %3) is not in ~/.ssh/known_hosts and there is no "
                   "terminal to ask whether to trust it: run `ssh %4` once and accept the key, "
                   "then try again"_s
                       .arg(key.host, key.keyType, key.fingerprint, m_alias));
        return false;
    }
    tty.write("The authenticity of host '" + printable(key.host) + "' can't be established.\n"
              + printable(key.keyType) + " key fingerprint is " + printable(key.fingerprint)
              + ".\nAre you sure you want to continue connecting (yes/no)? ");
    for (;;) {
        QByteArray answer;
        const Read read = readLine(tty.fd(), true, &answer);
        if (read != Read::Line) {
            tty.write("\n");
            return false;
        }
        answer = answer.trimmed().toLower();
        if (answer == "yes")
            return true;
        if (answer == "no")
            return false;
        tty.write("Please type 'yes' or 'no': ");
    }
}

std::optional<SshSecret> TerminalPrompter::askSecret(const SshSecretRequest &request)
{
    QMutexLocker lock(&m_promptMutex);
    if (m_interrupted)
        return std::nullopt;
    const Tty tty;
    if (tty.fd() < 0) {
        const QString what = request.kind == SshSecretRequest::Kind::Passphrase
            ? u"the passphrase of %1"_s.arg(request.keyFile)
            : u"the password of %1@%2"_s.arg(request.user, request.host);
        setRefusal(u"there is no terminal to ask for %1: add the key to ssh-agent (ssh-add) or "
                   "run the command in a terminal"_s
                       .arg(what));
        return std::nullopt;
    }
    QByteArray text;
    if (!request.previousError.isEmpty())
        text += printable(request.previousError) + '\n';
    switch (request.kind) {
    case SshSecretRequest::Kind::Passphrase:
        text += "Enter passphrase for key '" + printable(request.keyFile) + "': ";
        break;
    case SshSecretRequest::Kind::Password:
        text += printable(request.user) + '@' + printable(request.host) + "'s password: ";
        break;
    case SshSecretRequest::Kind::KeyboardInteractive:
        if (!request.name.isEmpty())
            text += printable(request.name) + '\n';
        if (!request.instruction.isEmpty())
            text += printable(request.instruction) + '\n';
        text += request.prompt.isEmpty() ? QByteArray("Password: ") : printable(request.prompt);
        break;
    }
    tty.write(text);
    const bool echo = request.kind == SshSecretRequest::Kind::KeyboardInteractive && request.echo;
    QByteArray answer;
    if (readLine(tty.fd(), echo, &answer) != Read::Line) {
        tty.write("\n");
        return std::nullopt;
    }
    SshSecret secret;
    secret.text = QString::fromUtf8(answer);
    answer.fill('\0');
    return secret;
}

} // namespace gpuwb
