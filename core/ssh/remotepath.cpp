#include "core/ssh/remotepath.h"

namespace gpuwb {

bool isSafeRemoteName(const QByteArray &name)
{
    return !name.isEmpty() && name != "." && name != ".." && !name.contains('/')
        && !name.contains('\0');
}

} // namespace gpuwb
