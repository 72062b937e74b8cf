#include "core/util/wildcard.h"

namespace gpuwb {

namespace {

// The classic two-cursor match: on a mismatch after a '*', that '*' takes one more character
// and matching resumes there; an earlier '*' never needs to be retried.
template<typename View, typename Char, typename Same>
bool match(View text, View pattern, Char any, Char one, Same same)
{
    qsizetype t = 0, p = 0;
    qsizetype star = -1, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == any) {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && (pattern[p] == one || same(pattern[p], text[t]))) {
            ++p;
            ++t;
        } else if (star >= 0) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == any)
        ++p;
    return p == pattern.size();
}

} // namespace

bool wildcardMatch(QByteArrayView text, QByteArrayView pattern)
{
    return match(text, pattern, '*', '?', [](char a, char b) { return a == b; });
}

bool wildcardMatch(QStringView text, QStringView pattern, Qt::CaseSensitivity cs)
{
    if (cs == Qt::CaseSensitive)
        return match(text, pattern, QChar(u'*'), QChar(u'?'), [](QChar a, QChar b) { return a == b; });
    return match(text, pattern, QChar(u'*'), QChar(u'?'),
                 [](QChar a, QChar b) { return a == b || a.toCaseFolded() == b.toCaseFolded(); });
}

} // namespace gpuwb
