#include "storage/key_rotation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/json.hpp"
#include "storage/sqlite.hpp"

namespace adxflow::storage {

namespace {

struct Column {
    std::string table;
    std::string name;
};

// Every text column of every table: sealed values are found by their shape, not by a list of places that
// would have to be kept in step with the migrations.
Result<std::vector<Column>> TextColumns(Connection& conn) {
    std::vector<Column> out;
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement tables,
        conn.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"));
    std::vector<std::string> names;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, tables.Step());
        if (!row) break;
        names.push_back(tables.ColumnText(0));
    }
    for (const auto& table : names) {
        ADXFLOW_ASSIGN_OR_RETURN(Statement info, conn.Prepare("SELECT name, type FROM pragma_table_info(?)"));
        info.Bind(1, table);
        while (true) {
            ADXFLOW_ASSIGN_OR_RETURN(bool row, info.Step());
            if (!row) break;
            if (IEquals(info.ColumnText(1), "TEXT")) out.push_back({table, info.ColumnText(0)});
        }
    }
    return out;
}

std::string Quoted(const std::string& identifier) {
    std::string out = "\"";
    for (char c : identifier) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// Reseals the sealed strings of `doc` in place: members named encrypted* (encryptedValue,
// encryptedDefaultValue) holding a "v1:..." value. `where` names the row for errors (never the value).
Status Reseal(Json& doc, const SecretBox& old_key, const SecretBox& new_key, const std::string& where,
              KeyRotationReport& report, bool& changed) {
    if (doc.is_array()) {
        for (auto& item : doc) ADXFLOW_TRY(Reseal(item, old_key, new_key, where, report, changed));
        return Ok();
    }
    if (!doc.is_object()) return Ok();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        Json& v = it.value();
        if (it.key().rfind("encrypted", 0) == 0 && v.is_string() &&
            v.get_ref<const std::string&>().rfind("v1:", 0) == 0) {
            const std::string& sealed = v.get_ref<const std::string&>();
            if (auto plain = old_key.Open(sealed); plain.ok()) {
                v = new_key.Seal(*plain);
                ++report.resealed;
                changed = true;
            } else if (new_key.Open(sealed).ok()) {
                ++report.already_new;
            } else {
                return MakeError(ErrorKind::kInvalidInput, "secrets.rotate",
                                 "a sealed value in " + where + " (" + it.key() +
                                     ") opens with neither the old nor the new key; nothing was changed",
                                 "SecretDecryptionFailed");
            }
        } else {
            ADXFLOW_TRY(Reseal(v, old_key, new_key, where, report, changed));
        }
    }
    return Ok();
}

}  // namespace

Result<KeyRotationReport> ReencryptSecrets(const std::filesystem::path& database, const SecretBox& old_key,
                                           const SecretBox& new_key) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(database, ec))
        return MakeError(ErrorKind::kNotFound, "secrets.rotate", "no database at " + database.string());
    ADXFLOW_ASSIGN_OR_RETURN(Connection conn, Connection::Open(database));
    ADXFLOW_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(conn));
    KeyRotationReport report;
    ADXFLOW_ASSIGN_OR_RETURN(auto columns, TextColumns(conn));
    for (const auto& c : columns) {
        const std::string table = Quoted(c.table), column = Quoted(c.name);
        ADXFLOW_ASSIGN_OR_RETURN(
            Statement select, conn.Prepare("SELECT rowid, " + column + " FROM " + table + " WHERE " + column +
                                           " LIKE '%\"encrypted%\"v1:%'"));
        std::vector<std::pair<int64_t, std::string>> updates;
        while (true) {
            ADXFLOW_ASSIGN_OR_RETURN(bool row, select.Step());
            if (!row) break;
            const int64_t rowid = select.ColumnInt(0);
            Json doc = Json::parse(select.ColumnText(1), nullptr, /*allow_exceptions=*/false);
            if (doc.is_discarded()) continue;  // not JSON: holds no sealed member
            bool changed = false;
            ADXFLOW_TRY(Reseal(doc, old_key, new_key,
                               c.table + "." + c.name + " row " + std::to_string(rowid), report, changed));
            if (changed) updates.emplace_back(rowid, doc.dump());
        }
        ADXFLOW_ASSIGN_OR_RETURN(Statement update,
                                 conn.Prepare("UPDATE " + table + " SET " + column + " = ? WHERE rowid = ?"));
        for (const auto& [rowid, text] : updates) {
            update.Bind(1, text).Bind(2, rowid);
            ADXFLOW_TRY(update.Run());
            ++report.rows_updated;
        }
    }
    ADXFLOW_TRY(tx.Commit());
    // secure_delete is on for the store's connections (sqlite.cpp), so the pages that held the old
    // ciphertexts are zeroed; a checkpoint moves the new pages out of the WAL into the database file.
    (void)conn.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return report;
}

namespace {

Status FsyncDir(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return MakeError(ErrorKind::kInternal, "secrets.rotate", "cannot open " + dir.string());
    ::fsync(fd);
    ::close(fd);
    return Ok();
}

// Moves `from` onto `to` atomically; across file systems, through a 0600 temp file beside `to`.
Status MoveKeyFile(const std::filesystem::path& from, const std::filesystem::path& to) {
    if (std::rename(from.c_str(), to.c_str()) == 0)
        return FsyncDir(to.parent_path().empty() ? "." : to.parent_path());
    std::ifstream in(from, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    const std::filesystem::path tmp = to.string() + ".tmp";
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return MakeError(ErrorKind::kInternal, "secrets.rotate", "cannot create " + tmp.string());
    const std::string bytes = content.str();
    const bool written =
        ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || std::rename(tmp.c_str(), to.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return MakeError(ErrorKind::kInternal, "secrets.rotate", "cannot write " + to.string());
    }
    ::unlink(from.c_str());
    return FsyncDir(to.parent_path().empty() ? "." : to.parent_path());
}

}  // namespace

Result<KeyRotationOutcome> RotateSecretsKey(const KeyRotation& r) {
    std::error_code ec;
    if (std::filesystem::equivalent(r.key_file, r.new_key_file, ec))
        return MakeError(ErrorKind::kInvalidInput, "secrets.rotate",
                         "the new key file is the current key file (" + r.key_file.string() + ")");
    ADXFLOW_ASSIGN_OR_RETURN(SecretBox old_key, SecretBox::LoadOrCreate(r.key_file, false));
    ADXFLOW_ASSIGN_OR_RETURN(SecretBox new_key, SecretBox::LoadOrCreate(r.new_key_file, true));
    KeyRotationOutcome out;
    ADXFLOW_ASSIGN_OR_RETURN(out.report, ReencryptSecrets(r.database, old_key, new_key));
    if (!r.install_key) return out;
    // The old key stays readable as .previous: a hard link, so that the key file itself is never missing
    // (a daemon started meanwhile would otherwise generate a fresh key).
    out.previous_key_file = r.key_file.string() + ".previous";
    ::unlink(out.previous_key_file.c_str());
    if (::link(r.key_file.c_str(), out.previous_key_file.c_str()) != 0)
        return MakeError(ErrorKind::kInternal, "secrets.rotate",
                         "the database is re-encrypted but the old key could not be kept as " +
                             out.previous_key_file.string() + "; run the command again");
    ADXFLOW_TRY(MoveKeyFile(r.new_key_file, r.key_file));
    out.key_installed = true;
    return out;
}

}  // namespace adxflow::storage
