#include "core/gpu/nvidiasmiparser.h"

#include "core/util/logging.h"

#include <QDateTime>
#include <QHash>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace gpuwb::NvidiaSmiParser {

namespace {

struct Column
{
    QString name; // canonical
    QString unit; // from "name [unit]", may be empty
};

struct Table
{
    QList<Column> columns;
    QHash<QString, int> byName;
    QList<QStringList> rows;

    int column(const QString &name) const { return byName.value(name, -1); }
    QString field(const QStringList &row, const QString &name) const
    {
        const int i = column(name);
        return i >= 0 && i < row.size() ? row.at(i) : QString();
    }
    QString unit(const QString &name) const
    {
        const int i = column(name);
        return i >= 0 ? columns.at(i).unit : QString();
    }
};

// The unit nvidia-smi uses for a field, for `noheader,nounits` output where nothing says it.
QString defaultUnit(const QString &field)
{
    if (field.startsWith(u"memory."_s) || field == u"used_gpu_memory"_s)
        return u"MiB"_s;
    if (field.startsWith(u"power."_s) || field == u"enforced.power.limit"_s)
        return u"W"_s;
    if (field.startsWith(u"clocks."_s))
        return u"MHz"_s;
    return {};
}

Column parseColumn(const QString &text)
{
    static const QRegularExpression withUnit(u"^(.*?)\\s*\\[([^\\]]*)\\]$"_s);
    const QString trimmed = text.trimmed();
    const QRegularExpressionMatch m = withUnit.match(trimmed);
    if (m.hasMatch())
        return {canonicalField(m.captured(1)), m.captured(2).trimmed()};
    const QString name = canonicalField(trimmed);
    return {name, defaultUnit(name)};
}

bool looksLikeHeader(const QStringList &fields)
{
    static const QRegularExpression fieldName(u"^[A-Za-z_][A-Za-z0-9_.]*(\\s*\\[[^\\]]*\\])?$"_s);
    for (const QString &f : fields) {
        if (!fieldName.match(f.trimmed()).hasMatch())
            return false;
    }
    return !fields.isEmpty();
}

QStringList splitRow(const QString &line)
{
    // nvidia-smi writes ", " between fields and never quotes; values may hold single commas.
    QStringList fields = line.split(u", "_s);
    for (QString &f : fields)
        f = f.trimmed();
    if (!fields.isEmpty() && fields.last().endsWith(u','))
        fields.last().chop(1);
    return fields;
}

// Known failure messages of nvidia-smi, turned into errors that say what to do.
std::optional<Error> recogniseFailure(const QString &line)
{
    if (line.contains(u"is not a valid field to query"_s)) {
        return Error{ErrorCode::GpuSmiInvalidField,
                     u"nvidia-smi on that host does not know a field the workbench asks for (%1). "
                     "Update the NVIDIA driver there."_s.arg(line.trimmed())};
    }
    if (line.startsWith(u"NVIDIA-SMI has failed"_s) || line.contains(u"couldn't communicate"_s)) {
        return Error{ErrorCode::GpuSmiFailed,
                     u"nvidia-smi could not talk to the NVIDIA driver: %1 Check that the driver "
                     "is installed and loaded."_s.arg(line.trimmed())};
    }
    if (line.trimmed() == u"No devices were found"_s) {
        return Error{ErrorCode::GpuNoDevices,
                     u"nvidia-smi found no NVIDIA GPU on that host."_s};
    }
    return std::nullopt;
}

Result<Table> readTable(const QByteArray &output, const QStringList &fieldsIfNoHeader,
                        const QStringList &freeTextColumns)
{
    const QString text = QString::fromUtf8(output);
    QStringList lines;
    for (QString line : text.split(u'\n')) {
        if (line.endsWith(u'\r'))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        lines.append(line);
    }
    // An error line is told apart from a row by its shape, not by its words: a process name
    // that says "couldn't communicate" is a row (issue 10, item 13).
    if (!lines.isEmpty() && fieldsIfNoHeader.isEmpty() && !looksLikeHeader(splitRow(lines.first()))) {
        if (std::optional<Error> failure = recogniseFailure(lines.first()))
            return *failure;
    }
    if (lines.isEmpty()) {
        return Error{ErrorCode::GpuSmiEmpty,
                     u"nvidia-smi printed nothing. Check that it runs on that host."_s};
    }

    Table table;
    QStringList expected;
    for (const QString &f : fieldsIfNoHeader)
        expected.append(canonicalField(f.trimmed()));
    const QStringList first = splitRow(lines.first());
    bool hasHeader = false;
    if (looksLikeHeader(first)) {
        QStringList names;
        for (const QString &f : first)
            names.append(parseColumn(f).name);
        hasHeader = expected.isEmpty() || names == expected;
    }
    if (hasHeader) {
        for (const QString &f : first)
            table.columns.append(parseColumn(f));
        lines.removeFirst();
    } else if (!expected.isEmpty()) {
        for (const QString &f : expected)
            table.columns.append(Column{f, defaultUnit(f)});
    } else {
        return Error{ErrorCode::GpuSmiNoHeader,
                     u"The nvidia-smi output has no header line, so its columns are unknown. Run "
                     "it with --format=csv (without noheader)."_s};
    }
    for (int i = 0; i < table.columns.size(); ++i) {
        if (!table.byName.contains(table.columns.at(i).name))
            table.byName.insert(table.columns.at(i).name, i);
    }

    int freeText = -1;
    for (const QString &name : freeTextColumns) {
        if ((freeText = table.column(name)) >= 0)
            break;
    }
    const int width = int(table.columns.size());
    for (const QString &line : std::as_const(lines)) {
        QStringList fields = splitRow(line);
        if (fields.size() > width && freeText >= 0) {
            // A name with ", " in it (a Windows path, say): give the surplus back to it.
            const int surplus = int(fields.size()) - width;
            const QStringList parts = fields.mid(freeText, surplus + 1);
            fields.remove(freeText, surplus + 1);
            fields.insert(freeText, parts.join(u", "_s));
        }
        if (fields.size() != width) {
            if (std::optional<Error> failure = recogniseFailure(line))
                return *failure;
            qCDebug(lcGpu) << "nvidia-smi row with" << fields.size() << "fields instead of"
                           << width << "skipped";
            continue;
        }
        table.rows.append(fields);
    }
    return table;
}

bool isNull(const QString &value)
{
    return value.isEmpty() || (value.startsWith(u'[') && value.endsWith(u']'))
        || value.compare(u"N/A"_s, Qt::CaseInsensitive) == 0
        || value.compare(u"Not Supported"_s, Qt::CaseInsensitive) == 0;
}

// The number of a field and its unit: from the value ("631.95 W") or else the header.
std::optional<double> number(const QString &value, const QString &headerUnit, QString *unit)
{
    static const QRegularExpression pattern(
        u"^([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\\s*([A-Za-z%/]*)$"_s);
    if (isNull(value))
        return std::nullopt;
    const QRegularExpressionMatch m = pattern.match(value);
    if (!m.hasMatch())
        return std::nullopt;
    bool ok = false;
    const double n = m.captured(1).toDouble(&ok);
    if (!ok || !std::isfinite(n))
        return std::nullopt;
    *unit = m.captured(2).isEmpty() ? headerUnit : m.captured(2);
    return n;
}

std::optional<double> scaled(const QString &value, const QString &headerUnit,
                             const QHash<QString, double> &factors)
{
    QString unit;
    const std::optional<double> n = number(value, headerUnit, &unit);
    if (!n)
        return std::nullopt;
    const auto it = factors.constFind(unit);
    if (it == factors.constEnd())
        return std::nullopt;
    return *n * it.value();
}

const QHash<QString, double> &percentUnits()
{
    static const QHash<QString, double> units{{QString(), 1.0}, {u"%"_s, 1.0}};
    return units;
}
const QHash<QString, double> &byteUnits()
{
    static const QHash<QString, double> units{{u"B"_s, 1.0},
                                              {u"KiB"_s, 1024.0},
                                              {u"MiB"_s, 1024.0 * 1024.0},
                                              {u"GiB"_s, 1024.0 * 1024.0 * 1024.0},
                                              {u"TiB"_s, 1024.0 * 1024.0 * 1024.0 * 1024.0}};
    return units;
}
const QHash<QString, double> &milliwattUnits()
{
    static const QHash<QString, double> units{{u"W"_s, 1000.0}, {u"mW"_s, 1.0}, {u"kW"_s, 1e6}};
    return units;
}
const QHash<QString, double> &megahertzUnits()
{
    static const QHash<QString, double> units{
        {u"MHz"_s, 1.0}, {u"GHz"_s, 1000.0}, {u"kHz"_s, 0.001}};
    return units;
}
const QHash<QString, double> &celsiusUnits()
{
    static const QHash<QString, double> units{{QString(), 1.0}, {u"C"_s, 1.0}};
    return units;
}

// The first of the columns that holds a value in this row.
std::optional<double> firstScaled(const Table &table, const QStringList &row,
                                  std::initializer_list<const char16_t *> names,
                                  const QHash<QString, double> &units)
{
    for (const char16_t *name : names) {
        const QString n = QString::fromUtf16(name);
        if (table.column(n) < 0)
            continue;
        if (std::optional<double> v = scaled(table.field(row, n), table.unit(n), units))
            return v;
    }
    return std::nullopt;
}

template<typename T>
std::optional<T> rounded(std::optional<double> v)
{
    if (!v)
        return std::nullopt;
    return T(std::llround(*v));
}

QString textField(const Table &table, const QStringList &row, const QString &name)
{
    const QString v = table.field(row, name);
    return isNull(v) ? QString() : v;
}

// "yyyy/MM/dd HH:mm:ss" with ".zzz" or without, read by hand: QDateTime::fromString took
// about 240 µs per row, half the CPU of a live remote stream (./bench telemetry). Other shapes
// go to fromString.
std::optional<qint64> parseTimestampFast(const QString &text)
{
    const qsizetype size = text.size();
    if (size != 19 && size != 23)
        return std::nullopt;
    static constexpr char16_t kShape[] = u"dddd/dd/dd dd:dd:dd.ddd"; // d: a digit
    int digits[17] = {};
    int n = 0;
    for (qsizetype i = 0; i < size; ++i) {
        const char16_t c = text.at(i).unicode();
        if (kShape[i] != u'd') {
            if (c != kShape[i])
                return std::nullopt;
        } else if (c < u'0' || c > u'9') {
            return std::nullopt;
        } else {
            digits[n++] = c - u'0';
        }
    }
    auto value = [&digits](int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; ++i)
            v = v * 10 + digits[i];
        return v;
    };
    const QDate date(value(0, 4), value(4, 2), value(6, 2));
    const QTime time(value(8, 2), value(10, 2), value(12, 2), size == 23 ? value(14, 3) : 0);
    if (!date.isValid() || !time.isValid())
        return 0;
    const QDateTime t(date, time);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

qint64 parseTimestamp(const QString &text)
{
    if (text.isEmpty())
        return 0;
    if (const std::optional<qint64> fast = parseTimestampFast(text))
        return *fast;
    QDateTime t = QDateTime::fromString(text, u"yyyy/MM/dd HH:mm:ss.zzz"_s);
    if (!t.isValid())
        t = QDateTime::fromString(text, u"yyyy/MM/dd HH:mm:ss"_s);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

} // namespace

QStringList queryGpuFields()
{
    return {u"timestamp"_s,         u"driver_version"_s,     u"index"_s,
            u"uuid"_s,              u"name"_s,               u"pci.bus_id"_s,
            u"utilization.gpu"_s,   u"utilization.memory"_s, u"memory.used"_s,
            u"memory.total"_s,      u"temperature.gpu"_s,    u"power.draw"_s,
            u"power.limit"_s,       u"clocks.current.sm"_s,  u"clocks.current.memory"_s,
            u"fan.speed"_s};
}

QStringList computeAppsFields()
{
    return {u"gpu_uuid"_s, u"gpu_bus_id"_s, u"pid"_s, u"process_name"_s, u"used_gpu_memory"_s};
}

QString canonicalField(const QString &field)
{
    static const QHash<QString, QString> aliases{
        {u"gpu_name"_s, u"name"_s},
        {u"clocks.sm"_s, u"clocks.current.sm"_s},
        {u"clocks.gr"_s, u"clocks.current.graphics"_s},
        {u"clocks.mem"_s, u"clocks.current.memory"_s},
        {u"clocks.video"_s, u"clocks.current.video"_s},
        {u"used_memory"_s, u"used_gpu_memory"_s},
    };
    return aliases.value(field, field);
}

QString fallbackKey(const QString &busId, int index)
{
    return busId.isEmpty() ? u"gpu%1"_s.arg(index) : u"pci:"_s + busId;
}

Result<QList<GpuSnapshot>> parseQueryGpuPasses(const QByteArray &output,
                                               const QStringList &fieldsIfNoHeader)
{
    Result<Table> read = readTable(output, fieldsIfNoHeader, {u"name"_s});
    if (!read)
        return read.error();
    const Table &table = *read;
    if (table.rows.isEmpty()) {
        return Error{ErrorCode::GpuSmiNoRows,
                     u"nvidia-smi printed no GPU rows that could be read."_s};
    }

    QList<GpuSnapshot> passes;
    QSet<QString> seen;
    for (const QStringList &row : table.rows) {
        const QString uuid = textField(table, row, u"uuid"_s);
        const QString busId = textField(table, row, u"pci.bus_id"_s);
        const QString indexText = textField(table, row, u"index"_s);
        bool indexOk = false;
        const int indexValue = indexText.toInt(&indexOk);
        QString identity = !uuid.isEmpty() ? uuid : !busId.isEmpty() ? busId : indexText;
        if (passes.isEmpty() || (!identity.isEmpty() && seen.contains(identity))) {
            passes.append(GpuSnapshot{});
            seen.clear();
            passes.last().timestampMs = parseTimestamp(textField(table, row, u"timestamp"_s));
        }
        GpuSnapshot &pass = passes.last();
        if (!identity.isEmpty())
            seen.insert(identity);
        if (pass.driverVersion.isEmpty())
            pass.driverVersion = textField(table, row, u"driver_version"_s);

        GpuSample s;
        s.index = indexOk ? indexValue : int(pass.gpus.size());
        s.uuid = !uuid.isEmpty() ? uuid : fallbackKey(busId, s.index);
        s.name = textField(table, row, u"name"_s);
        s.utilizationGpuPercent =
            firstScaled(table, row, {u"utilization.gpu"}, percentUnits());
        s.utilizationMemoryPercent =
            firstScaled(table, row, {u"utilization.memory"}, percentUnits());
        s.memoryUsedBytes =
            rounded<qint64>(firstScaled(table, row, {u"memory.used"}, byteUnits()));
        s.memoryTotalBytes =
            rounded<qint64>(firstScaled(table, row, {u"memory.total"}, byteUnits()));
        s.temperatureCelsius = firstScaled(table, row, {u"temperature.gpu"}, celsiusUnits());
        s.powerMilliwatts = firstScaled(
            table, row, {u"power.draw", u"power.draw.instant", u"power.draw.average"},
            milliwattUnits());
        s.powerLimitMilliwatts = firstScaled(
            table, row, {u"power.limit", u"enforced.power.limit"}, milliwattUnits());
        s.smClockMhz = rounded<int>(firstScaled(table, row, {u"clocks.current.sm"},
                                                megahertzUnits()));
        s.memoryClockMhz = rounded<int>(firstScaled(table, row, {u"clocks.current.memory"},
                                                    megahertzUnits()));
        s.fanSpeedPercent = rounded<int>(firstScaled(table, row, {u"fan.speed"}, percentUnits()));
        pass.gpus.append(s);
    }
    return passes;
}

Result<GpuSnapshot> parseQueryGpu(const QByteArray &output, const QStringList &fieldsIfNoHeader)
{
    Result<QList<GpuSnapshot>> passes = parseQueryGpuPasses(output, fieldsIfNoHeader);
    if (!passes)
        return passes.error();
    return passes->first();
}

namespace {

// nvidia-smi prints a process name as it is, newlines included. When the name is the last
// column, a line that does not start like a row (GPU id, then a numeric pid) continues the
// previous row's name: joined with a space, so a hostile name stays in its own row and
// cannot end the table or start a row of its own by a line break alone.
QByteArray joinNameContinuations(const QByteArray &output, const QStringList &fieldsIfNoHeader)
{
    const QList<QByteArray> lines = output.split('\n');
    QStringList columns;
    qsizetype firstData = 0;
    for (const QByteArray &line : lines) {
        if (line.trimmed().isEmpty()) {
            ++firstData;
            continue;
        }
        const QStringList first = splitRow(QString::fromUtf8(line));
        if (looksLikeHeader(first)) {
            for (const QString &f : first)
                columns.append(parseColumn(f).name);
            ++firstData;
        }
        break;
    }
    if (columns.isEmpty()) {
        for (const QString &f : fieldsIfNoHeader)
            columns.append(canonicalField(f.trimmed()));
    }
    const qsizetype width = columns.size();
    if (width < 2 || columns.last() != u"process_name"_s)
        return output;
    const qsizetype pidColumn = columns.indexOf(u"pid"_s);
    const qsizetype uuidColumn = columns.indexOf(u"gpu_uuid"_s);
    auto startsRow = [&](const QByteArray &line) {
        const QList<QByteArray> fields = line.split(',');
        if (fields.size() < width)
            return false;
        if (pidColumn >= 0) {
            const QByteArray pid = fields.at(pidColumn).trimmed();
            if (pid.isEmpty() || !std::all_of(pid.cbegin(), pid.cend(),
                                              [](char c) { return c >= '0' && c <= '9'; }))
                return false;
        }
        if (uuidColumn >= 0) {
            const QByteArray uuid = fields.at(uuidColumn).trimmed();
            if (!uuid.startsWith("GPU-") && !uuid.startsWith("MIG-") && !uuid.startsWith('['))
                return false;
        }
        return true;
    };
    QByteArray out;
    bool inRow = false;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        if (i < firstData || line.trimmed().isEmpty()) {
            out += line + '\n';
            continue;
        }
        if (startsRow(line) || !inRow) {
            if (inRow)
                out += '\n';
            out += line;
            inRow = startsRow(line);
            if (!inRow)
                out += '\n';
            continue;
        }
        out += ' ' + line;
    }
    if (inRow)
        out += '\n';
    return out;
}

} // namespace

Result<QList<ComputeApp>> parseComputeApps(const QByteArray &output,
                                           const QStringList &fieldsIfNoHeader)
{
    Result<Table> read = readTable(joinNameContinuations(output, fieldsIfNoHeader),
                                   fieldsIfNoHeader, {u"process_name"_s});
    if (!read)
        return read.error();
    const Table &table = *read;
    QList<ComputeApp> apps;
    const bool hasPid = table.column(u"pid"_s) >= 0;
    for (const QStringList &row : table.rows) {
        ComputeApp app;
        app.gpuUuid = textField(table, row, u"gpu_uuid"_s);
        app.gpuBusId = textField(table, row, u"gpu_bus_id"_s);
        if (hasPid) {
            bool ok = false;
            app.process.pid = table.field(row, u"pid"_s).toLongLong(&ok);
            if (!ok || app.process.pid < 0)
                continue; // not a process row
        }
        app.process.name = textField(table, row, u"process_name"_s);
        app.process.usedMemoryBytes = rounded<qint64>(
            firstScaled(table, row, {u"used_gpu_memory"}, byteUnits()));
        apps.append(app);
    }
    return apps;
}

void attachProcesses(GpuSnapshot *snapshot, const QList<ComputeApp> &apps)
{
    for (GpuSample &gpu : snapshot->gpus)
        gpu.processes.clear();
    for (const ComputeApp &app : apps) {
        GpuSample *target = nullptr;
        for (GpuSample &gpu : snapshot->gpus) {
            if ((!app.gpuUuid.isEmpty() && gpu.uuid == app.gpuUuid)
                || (!app.gpuBusId.isEmpty() && gpu.uuid == fallbackKey(app.gpuBusId, 0))) {
                target = &gpu;
                break;
            }
        }
        if (!target && app.gpuUuid.isEmpty() && app.gpuBusId.isEmpty()
            && snapshot->gpus.size() == 1) {
            target = &snapshot->gpus.first();
        }
        if (target)
            target->processes.append(app.process);
    }
}

QSet<QString> parseHelpQueryGpu(const QByteArray &helpText)
{
    // A field line starts with a quoted name, optionally followed by `or "alias"`; prose that
    // quotes values ("Default" means ...) does not match the whole-line pattern.
    static const QRegularExpression fieldLine(
        u"^\"([A-Za-z0-9_.]+)\"(?:\\s+or\\s+\"([A-Za-z0-9_.]+)\")*\\s*$"_s);
    static const QRegularExpression quoted(u"\"([A-Za-z0-9_.]+)\""_s);
    QSet<QString> fields;
    const QString text = QString::fromUtf8(helpText);
    for (QString line : text.split(u'\n')) {
        line = line.trimmed();
        if (!fieldLine.match(line).hasMatch())
            continue;
        for (const QRegularExpressionMatch &m : quoted.globalMatch(line)) {
            fields.insert(m.captured(1));
            fields.insert(canonicalField(m.captured(1)));
        }
    }
    return fields;
}

QStringList chooseQueryGpuFields(const QSet<QString> &offered)
{
    QStringList chosen;
    for (const QString &field : queryGpuFields()) {
        if (offered.contains(field))
            chosen.append(field);
        if (field == u"timestamp"_s && offered.contains(u"count"_s))
            chosen.append(u"count"_s);
        // Newer drivers average power.draw over a second; the instant reading suits live
        // charts (the parser takes whichever holds a value).
        if (field == u"power.draw"_s && offered.contains(u"power.draw.instant"_s))
            chosen.append(u"power.draw.instant"_s);
    }
    const bool identifiable = chosen.contains(u"uuid"_s) || chosen.contains(u"index"_s)
        || chosen.contains(u"name"_s);
    return identifiable ? chosen : QStringList();
}

std::optional<ProcStat> parseProcStat(const QByteArray &statLine)
{
    // "pid (comm) state ppid pgrp session ..."
    const qsizetype open = statLine.indexOf(" (");
    const qsizetype close = statLine.lastIndexOf(')');
    if (open <= 0 || close < open)
        return std::nullopt;
    bool ok = false;
    ProcStat stat;
    stat.pid = statLine.left(open).trimmed().toLongLong(&ok);
    if (!ok || stat.pid <= 0)
        return std::nullopt;
    const QList<QByteArray> rest = statLine.mid(close + 1).simplified().split(' ');
    if (rest.size() < 4)
        return std::nullopt;
    bool okGroup = false;
    bool okSession = false;
    stat.processGroup = rest.at(2).toLongLong(&okGroup);
    stat.session = rest.at(3).toLongLong(&okSession);
    if (!okGroup || !okSession || stat.processGroup < 0 || stat.session < 0)
        return std::nullopt;
    return stat;
}

QueryGpuStream::QueryGpuStream(QStringList fields, qsizetype maxLineBytes)
    : m_maxLineBytes(std::max<qsizetype>(64, maxLineBytes))
{
    for (const QString &f : fields)
        m_fields.append(canonicalField(f.trimmed()));
    m_countColumn = int(m_fields.indexOf(u"count"_s));
    m_nameColumn = int(m_fields.indexOf(u"name"_s));
    m_hasIdentity = m_fields.contains(u"uuid"_s) || m_fields.contains(u"pci.bus_id"_s)
        || m_fields.contains(u"index"_s);
}

QList<GpuSnapshot> QueryGpuStream::feed(QByteArrayView bytes)
{
    QList<GpuSnapshot> out;
    while (!bytes.isEmpty()) {
        const qsizetype end = bytes.indexOf('\n');
        const QByteArrayView part = end < 0 ? bytes : bytes.first(end);
        if (!m_discarding) {
            if (m_buffer.size() + part.size() > m_maxLineBytes) {
                m_problems.append(Error{ErrorCode::GpuSmiLineTooLong,
                                        u"nvidia-smi printed a line longer than %1 bytes; it "
                                        "was skipped."_s.arg(m_maxLineBytes)});
                m_buffer.clear();
                m_discarding = true;
            } else {
                m_buffer.append(part);
            }
        }
        if (end < 0)
            break;
        if (!m_discarding)
            line(m_buffer, &out);
        m_buffer.clear();
        m_discarding = false;
        bytes = bytes.sliced(end + 1);
    }
    return out;
}

QList<GpuSnapshot> QueryGpuStream::finish()
{
    QList<GpuSnapshot> out;
    if (!m_discarding && !m_buffer.isEmpty())
        line(m_buffer, &out);
    m_buffer.clear();
    m_discarding = false;
    emitPending(&out);
    return out;
}

QList<Error> QueryGpuStream::takeProblems()
{
    return std::exchange(m_problems, {});
}

void QueryGpuStream::emitPending(QList<GpuSnapshot> *out)
{
    if (!m_pending.gpus.isEmpty())
        out->append(std::exchange(m_pending, GpuSnapshot{}));
    m_pending = GpuSnapshot{};
    m_seen.clear();
    m_expected = 0;
}

void QueryGpuStream::line(QByteArrayView bytes, QList<GpuSnapshot> *out)
{
    QString text = QString::fromUtf8(bytes);
    if (text.endsWith(u'\r'))
        text.chop(1);
    if (text.trimmed().isEmpty())
        return;
    if (std::optional<Error> failure = recogniseFailure(text)) {
        m_problems.append(*failure);
        if (!m_fatal)
            m_fatal = failure;
        return;
    }
    Result<GpuSnapshot> row = parseQueryGpu(text.toUtf8() + '\n', m_fields);
    if (!row || row->gpus.size() != 1) {
        const QString shown = text.size() > 120 ? text.left(120) + u"…"_s : text;
        m_problems.append(Error{ErrorCode::GpuSmiBadRow,
                                u"An nvidia-smi row could not be read and was skipped: %1"_s.arg(
                                    shown)});
        return;
    }
    GpuSample sample = row->gpus.first();
    // The count column precedes the name, whose surplus ", " parts never shift it.
    int count = 0;
    if (m_countColumn >= 0 && (m_nameColumn < 0 || m_countColumn < m_nameColumn)) {
        const QStringList parts = text.split(u", "_s);
        if (m_countColumn < parts.size())
            count = parts.at(m_countColumn).trimmed().toInt();
    }
    if (m_hasIdentity && m_seen.contains(sample.uuid))
        emitPending(out);
    if (m_pending.gpus.isEmpty()) {
        m_pending.timestampMs = row->timestampMs;
        m_pending.driverVersion = row->driverVersion;
        m_expected = count;
    }
    if (!m_fields.contains(u"index"_s)) {
        // Without an index column the position in the pass is the index, as in a whole parse.
        if (sample.uuid == fallbackKey(QString(), sample.index))
            sample.uuid = fallbackKey(QString(), int(m_pending.gpus.size()));
        sample.index = int(m_pending.gpus.size());
    }
    m_seen.insert(sample.uuid);
    m_pending.gpus.append(sample);
    if (m_expected > 0 && m_pending.gpus.size() >= m_expected)
        emitPending(out);
}

} // namespace gpuwb::NvidiaSmiParser
