#pragma once

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Theme>

#include <QString>

class QPalette;

namespace KSyntaxHighlighting {
class Repository;
}

namespace gpuwb {

// The one KSyntaxHighlighting::Repository of the application (principle 10): loading the
// syntax definitions is costly, so every editor shares this instance. It is created on first
// use and lives until the application ends; use it from the UI thread only.
class SyntaxRepository
{
public:
    static KSyntaxHighlighting::Repository &repository();

    // The definition for a file name ("kernel.cu", "CMakeLists.txt", ...); an invalid
    // Definition when none fits, which highlights nothing.
    static KSyntaxHighlighting::Definition definitionForFileName(const QString &fileName);

    // A light theme for a light palette and a dark one for a dark palette.
    static KSyntaxHighlighting::Theme themeForPalette(const QPalette &palette);
};

} // namespace gpuwb
