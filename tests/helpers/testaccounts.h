#pragma once

#include "helpers/sshdserver.h"

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

// What the sshd fixture needs from the machine besides sshd: the accounts it serves (one per
// SshdServer::Account, with their login shells and rc files) and the short tools it runs.
namespace gpuwb::test {

void setError(QString *error, const QString &message); // when error is not null

// Runs a short helper program to completion. stdin gets `input` and is then closed, so
// nothing waits on a terminal; output and errors arrive together in *output.
bool runTool(const QString &program, const QStringList &args, QString *error,
             const QProcessEnvironment &env = {}, QByteArray *output = nullptr,
             const QByteArray &input = {});

// Creates the account when missing (useradd, retried against concurrent tests), gives it the
// fixture's password, its home (owned by it; none for Account::NoHome) and its rc files.
bool ensureAccount(SshdServer::Account account, QString *error);

} // namespace gpuwb::test
