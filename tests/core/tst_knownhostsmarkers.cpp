// known_hosts markers that libssh skips (issue 10, item 11), matched as OpenSSH matches hosts.
#include "core/ssh/knownhostsmarkers.h"

#include <QMessageAuthenticationCode>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestKnownHostsMarkers : public QObject
{
    Q_OBJECT
private slots:
    void patterns_data()
    {
        QTest::addColumn<QByteArray>("patterns");
        QTest::addColumn<QString>("host");
        QTest::addColumn<bool>("matches");
        QTest::newRow("exact") << QByteArray("gpu1.example.org") << u"gpu1.example.org"_s << true;
        QTest::newRow("case") << QByteArray("GPU1.example.org") << u"gpu1.Example.org"_s << true;
        QTest::newRow("star") << QByteArray("*.example.org") << u"gpu1.example.org"_s << true;
        QTest::newRow("star other") << QByteArray("*.example.org") << u"example.com"_s << false;
        QTest::newRow("question") << QByteArray("gpu?") << u"gpu7"_s << true;
        QTest::newRow("list") << QByteArray("a,b,[127.0.0.1]:2222") << u"[127.0.0.1]:2222"_s
                              << true;
        QTest::newRow("port differs") << QByteArray("[127.0.0.1]:2222") << u"127.0.0.1"_s
                                      << false;
        QTest::newRow("negated") << QByteArray("*.example.org,!bad.example.org")
                                 << u"bad.example.org"_s << false;
        QTest::newRow("only negated") << QByteArray("!bad") << u"good"_s << false;
        QTest::newRow("stars backtrack") << QByteArray("*a*b*c") << u"xaxbxbxc"_s << true;
        QTest::newRow("stars fail") << QByteArray("*a*a*a*a*a*a*a*a*b") << QString(200, u'a')
                                    << false;
        QTest::newRow("star empty run") << QByteArray("gpu*") << u"gpu"_s << true;
        QTest::newRow("bracket literal") << QByteArray("gpu[12]") << u"gpu1"_s << false;
        const QByteArray salt = "0123456789abcdef0123";
        const QByteArray mac = QMessageAuthenticationCode::hash("gpu1.example.org", salt,
                                                                QCryptographicHash::Sha1);
        const QByteArray hashed = "|1|" + salt.toBase64() + '|' + mac.toBase64();
        QTest::newRow("hashed") << hashed << u"gpu1.example.org"_s << true;
        QTest::newRow("hashed other") << hashed << u"gpu2.example.org"_s << false;
        QTest::newRow("hashed broken") << QByteArray("|1|!!|x") << u"gpu1"_s << false;
    }
    void patterns()
    {
        QFETCH(QByteArray, patterns);
        QFETCH(QString, host);
        QFETCH(bool, matches);
        QCOMPARE(KnownHostsMarkers::matchesHost(patterns, host), matches);
    }

    void revokedAndAuthorities()
    {
        const KnownHostsMarkers m = KnownHostsMarkers::parse(
            "# comment\n"
            "gpu1 ssh-ed25519 AAAAgood\n"
            "@revoked gpu1,gpu2 ssh-ed25519 AAAAbad\n"
            "@revoked  *  ssh-rsa   AAAAeverywhere  old key\n"
            "@cert-authority *.corp ssh-ed25519 AAAAca\n"
            "@unknown-marker gpu1 ssh-ed25519 AAAAgood\n"
            "@revoked short\n");
        QVERIFY(m.isRevoked(u"gpu1"_s, "AAAAbad"));
        QVERIFY(m.isRevoked(u"gpu2"_s, "AAAAbad"));
        QVERIFY(!m.isRevoked(u"gpu3"_s, "AAAAbad"));
        QVERIFY(!m.isRevoked(u"gpu1"_s, "AAAAgood"));
        QVERIFY(m.isRevoked(u"anything"_s, "AAAAeverywhere"));
        QVERIFY(m.hasCertificateAuthority(u"node7.corp"_s));
        QVERIFY(!m.hasCertificateAuthority(u"gpu1"_s));
        QVERIFY(!KnownHostsMarkers::read(u"/nonexistent/known_hosts"_s)
                     .isRevoked(u"gpu1"_s, "AAAAbad"));
    }
};

QTEST_GUILESS_MAIN(TestKnownHostsMarkers)
#include "tst_knownhostsmarkers.moc"
