#include "core/sync/ignorerules.h"

namespace gpuwb {

// Skeleton until the sync engine lands.
struct IgnoreRules::Data
{
    QStringList patterns;
};

IgnoreRules::IgnoreRules() : d(std::make_unique<Data>()) {}
IgnoreRules::~IgnoreRules() = default;
IgnoreRules::IgnoreRules(const IgnoreRules &other) : d(std::make_unique<Data>(*other.d)) {}
IgnoreRules &IgnoreRules::operator=(const IgnoreRules &other)
{
    *d = *other.d;
    return *this;
}
void IgnoreRules::addPatterns(const QString &, const QByteArray &) {}
void IgnoreRules::addPattern(const QString &pattern)
{
    d->patterns.append(pattern);
}
bool IgnoreRules::isIgnored(const QString &, bool) const
{
    return false;
}

} // namespace gpuwb
