# Shared by scripts/bootstrap and scripts/in-root. Sourced, not run.

: "${GPUWB_ROOT:=${XDG_CACHE_HOME:-$HOME/.cache}/gpuwb/debian13-root}"
: "${GPUWB_NATIVE_STAMP:=${XDG_CACHE_HOME:-$HOME/.cache}/gpuwb/native-stamp}"
export GPUWB_ROOT

# True when this host itself has the target stack (Debian 13+, or a distribution whose apt
# offers KF6 SyntaxHighlighting), so that no separate root is needed.
host_is_native() {
    [ -n "${GPUWB_FORCE_ROOT:-}" ] && return 1
    [ -r /etc/os-release ] || return 1
    local id version
    id=$(. /etc/os-release && printf '%s' "${ID:-}")
    version=$(. /etc/os-release && printf '%s' "${VERSION_ID:-0}")
    case "$id" in
        debian) [ "${version%%.*}" -ge 13 ] 2>/dev/null ;;
        ubuntu) apt-cache show libkf6syntaxhighlighting-dev >/dev/null 2>&1 ;;
        *) return 1 ;;
    esac
}
