#include "ui/remote/dialogprompter.h"

namespace gpuwb {

DialogPrompter::DialogPrompter(QWidget *parent) : m_parent(parent) {}

bool DialogPrompter::acceptHostKey(const SshHostKeyInfo &)
{
    return false;
}

std::optional<SshSecret> DialogPrompter::askSecret(const SshSecretRequest &)
{
    return std::nullopt;
}

} // namespace gpuwb
