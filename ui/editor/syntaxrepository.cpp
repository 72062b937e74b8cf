#include "ui/editor/syntaxrepository.h"

#include <KSyntaxHighlighting/Repository>

#include <QFileInfo>
#include <QHash>
#include <QPalette>

using namespace Qt::StringLiterals;

namespace gpuwb {

KSyntaxHighlighting::Repository &SyntaxRepository::repository()
{
    // Function-local static: created on first use, after QApplication exists.
    static KSyntaxHighlighting::Repository instance;
    return instance;
}

KSyntaxHighlighting::Definition SyntaxRepository::definitionForFileName(const QString &fileName)
{
    auto &repo = repository();
    const QFileInfo info(fileName);
    const QString suffix = info.suffix().toLower();
    // Preferred over what the repository ranks first (it gives .cu to "ISO C++").
    if (suffix == "cu"_L1 || suffix == "cuh"_L1) {
        const auto cuda = repo.definitionForName(u"CUDA"_s);
        if (cuda.isValid())
            return cuda;
    }
    if (info.fileName() == "CMakeLists.txt"_L1)
        return repo.definitionForName(u"CMake"_s);

    KSyntaxHighlighting::Definition def = repo.definitionForFileName(fileName);
    if (def.isValid())
        return def;

    // Names the bundled definitions may not list (they differ between KF6 versions).
    static const QHash<QString, QString> bySuffix = {
        {u"cu"_s, u"C++"_s},     {u"cuh"_s, u"C++"_s},     {u"toml"_s, u"TOML"_s},
        {u"sh"_s, u"Bash"_s},    {u"bash"_s, u"Bash"_s},   {u"yml"_s, u"YAML"_s},
        {u"yaml"_s, u"YAML"_s},  {u"json"_s, u"JSON"_s},   {u"md"_s, u"Markdown"_s},
        {u"cmake"_s, u"CMake"_s}, {u"py"_s, u"Python"_s},  {u"cpp"_s, u"C++"_s},
        {u"hpp"_s, u"C++"_s},    {u"cc"_s, u"C++"_s},      {u"h"_s, u"C++"_s},
    };
    const auto it = bySuffix.constFind(suffix);
    if (it != bySuffix.constEnd())
        return repo.definitionForName(it.value());
    return def;
}

KSyntaxHighlighting::Theme SyntaxRepository::themeForPalette(const QPalette &palette)
{
    return repository().themeForPalette(palette);
}

} // namespace gpuwb
