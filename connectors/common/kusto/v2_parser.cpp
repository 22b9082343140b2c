// The streaming v2 parser. A v2 body is `[frame, frame, ...]`; every frame is small except the Rows of a
// DataTable or TableFragment, which can be gigabytes. So the parser works at two speeds:
//
//  - Frame level: a resumable scanner walks the frame object member by member. Members other than Rows are
//    skipped over and kept as text; when the frame ends that text (with "Rows" replaced by null) is parsed
//    by nlohmann, which is fast enough for a few hundred bytes. When the Rows member starts, the members
//    seen so far are parsed the same way, so the table's columns are known before its first row.
//  - Row level: each row `[cell, ...]` is decoded straight from the wire bytes into typed Values, without an
//    intermediate JSON value per cell (nlohmann's SAX pass over a 2M-row result takes ~3 s here; see
//    shared/reference/baselines.md). A row cut by the end of a chunk is decoded again from its first byte
//    once more bytes arrive; rows are ~200 bytes and chunks tens of kilobytes, so that costs little.
//
// Only the unfinished tail of the input is kept between Feed() calls.
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

#include "connectors/common/kusto/json_scan.hpp"
#include "connectors/common/kusto/response.hpp"
#include "connectors/common/kusto/response_detail.hpp"

namespace adxflow::kusto {

using namespace detail;

class V2StreamParser::Impl {
  public:
    Impl(ResponseHandler& handler, const ParseOptions& options) : handler_(handler), options_(options) {}

    Status Feed(std::string_view bytes) {
        if (!status_.ok()) return status_;
        fed_ += bytes.size();
        buf_.append(bytes.data(), bytes.size());
        Run();
        Compact();
        return status_;
    }

    Status Finish() {
        if (!status_.ok()) return status_;
        if (state_ == State::kStart) return Malformed("the body is not a JSON array of frames");
        if (state_ != State::kDone) return Malformed("the body ended inside the frame array (truncated)");
        for (size_t i = pos_; i < buf_.size(); ++i)
            if (!IsSpace(buf_[i])) return Malformed("bytes after the frame array");
        return Ok();
    }

    uint64_t bytes_fed() const { return fed_; }

  private:
    enum class State { kStart, kBeforeFrame, kInFrame, kMemberValue, kRowsOpen, kRows, kDone };

    struct Table {
        TableInfo info;
        bool started = false;
        bool delivered = false;  // rows of this table went to the handler
        std::vector<KustoError> row_errors;
    };

    // ---- frame-level scanner

    void Run() {
        while (status_.ok()) {
            const char* base = buf_.data();
            const char* limit = base + buf_.size();
            const char* p = base + pos_;
            while (p < limit && IsSpace(*p)) ++p;
            pos_ = static_cast<size_t>(p - base);
            if (p == limit && state_ != State::kDone) return;
            switch (state_) {
                case State::kStart:
                    if (*p != '[') {
                        Fail(Malformed(*p == '{'
                                           ? "the body is an object, not an array of frames (a v1 response?)"
                                           : "the body is not a JSON array of frames"));
                        return;
                    }
                    ++pos_;
                    state_ = State::kBeforeFrame;
                    break;
                case State::kBeforeFrame:
                    if (*p == ',') {
                        ++pos_;
                    } else if (*p == ']') {
                        ++pos_;
                        state_ = State::kDone;
                    } else if (*p == '{') {
                        BeginFrame();
                        ++pos_;
                        state_ = State::kInFrame;
                    } else {
                        Fail(SyntaxAt("a frame object"));
                        return;
                    }
                    break;
                case State::kInFrame: {
                    if (*p == ',') {
                        ++pos_;
                        break;
                    }
                    if (*p == '}') {
                        ++pos_;
                        frame_text_.append(buf_, seg_start_, pos_ - seg_start_);
                        EndFrame();
                        state_ = State::kBeforeFrame;
                        break;
                    }
                    if (*p != '"') {
                        Fail(SyntaxAt("a member name"));
                        return;
                    }
                    const char* key_end = nullptr;
                    if (SkipString(p, limit, key_end) != Scan::kDone) return;
                    const char* colon = key_end;
                    while (colon < limit && IsSpace(*colon)) ++colon;
                    if (colon == limit) return;
                    if (*colon != ':') {
                        pos_ = static_cast<size_t>(colon - base);
                        Fail(SyntaxAt("':' after a member name"));
                        return;
                    }
                    const std::string_view key(p + 1, static_cast<size_t>(key_end - p - 2));
                    pos_ = static_cast<size_t>(colon + 1 - base);
                    if (key == "Rows") {
                        // The members so far, with Rows as null, are a complete object once closed.
                        frame_text_.append(buf_, seg_start_, pos_ - seg_start_);
                        frame_text_ += "null";
                        state_ = State::kRowsOpen;
                    } else {
                        state_ = State::kMemberValue;
                    }
                    break;
                }
                case State::kMemberValue: {
                    const char* end = nullptr;
                    Scan s = SkipValue(p, limit, end);
                    if (s == Scan::kNeedMore) return;
                    if (s == Scan::kBad) {
                        Fail(SyntaxAt("a value"));
                        return;
                    }
                    pos_ = static_cast<size_t>(end - base);
                    state_ = State::kInFrame;
                    break;
                }
                case State::kRowsOpen:
                    if (*p == 'n') {  // "Rows": null
                        const char* end = nullptr;
                        if (SkipValue(p, limit, end) != Scan::kDone) return;
                        pos_ = static_cast<size_t>(end - base);
                        seg_start_ = pos_;
                        state_ = State::kInFrame;
                        break;
                    }
                    if (*p != '[') {
                        Fail(SyntaxAt("the Rows array"));
                        return;
                    }
                    ++pos_;
                    if (!BeginRows()) return;
                    state_ = State::kRows;
                    break;
                case State::kRows:
                    if (!RowsStep()) return;
                    break;
                case State::kDone:
                    return;
            }
        }
    }

    // Drops consumed bytes. Outside the Rows of a frame, the frame's text since seg_start_ must stay.
    void Compact() {
        size_t keep = pos_;
        if (state_ == State::kInFrame || state_ == State::kMemberValue) keep = std::min(keep, seg_start_);
        if (keep == 0) return;
        // Erasing moves the tail; do it when the dead prefix is worth it.
        if (keep < 64 * 1024 && keep * 2 < buf_.size()) return;
        buf_.erase(0, keep);
        pos_ -= keep;
        seg_start_ = seg_start_ >= keep ? seg_start_ - keep : 0;
        consumed_ += keep;
    }

    Error SyntaxAt(const char* expected) {
        return Malformed("JSON syntax error at byte " + std::to_string(consumed_ + pos_) + ": expected " +
                         expected);
    }

    void Fail(Status s) {
        if (status_.ok()) status_ = std::move(s);
    }
    bool Check(Status s) {
        if (!s.ok()) Fail(std::move(s));
        return status_.ok();
    }

    // ---- frames

    void BeginFrame() {
        frame_text_.clear();
        seg_start_ = pos_;
        current_ = nullptr;
        buffering_ = false;
        buffered_rows_.clear();
        pending_row_errors_.clear();
    }

    Result<Json> ParseFrameText(const std::string& text) {
        Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (doc.is_discarded() || !doc.is_object())
            return Malformed("a frame before byte " + std::to_string(consumed_ + pos_) +
                             " is not valid JSON");
        return doc;
    }

    static std::string MemberString(const Json& frame, const char* name) {
        const Json* v = FindMember(frame, name);
        return v && v->is_string() ? v->get<std::string>() : std::string();
    }
    static std::optional<int> MemberInt(const Json& frame, const char* name) {
        const Json* v = FindMember(frame, name);
        if (!v || !v->is_number_integer()) return std::nullopt;
        return v->get<int>();
    }

    // Declares (DataTable, TableHeader) or finds (TableFragment) the table a frame's rows belong to.
    Table* ResolveTable(const Json& frame) {
        const std::string type = MemberString(frame, "FrameType");
        auto id = MemberInt(frame, "TableId");
        if (!id) return nullptr;
        if (type == "TableFragment") {
            auto it = tables_.find(*id);
            return it == tables_.end() ? nullptr : &it->second;
        }
        if (type != "DataTable" && type != "TableHeader") return nullptr;
        const Json* columns = FindMember(frame, "Columns");
        if (!columns ||
            (type == "DataTable" && (!FindMember(frame, "TableKind") || !FindMember(frame, "TableName"))))
            return nullptr;
        Table& t = tables_[*id];
        t.info.id = *id;
        t.info.name = MemberString(frame, "TableName");
        t.info.kind = MemberString(frame, "TableKind");
        auto schema = SchemaFrom(*columns, t.info.type_names);
        if (!schema.ok()) {
            Fail(schema.error());
            return nullptr;
        }
        t.info.schema = std::move(schema).value();
        return &t;
    }

    bool StartTable(Table& t) {
        if (t.started) return true;
        t.started = true;
        return Check(handler_.OnTableStart(t.info));
    }

    bool BeginRows() {
        auto header = ParseFrameText(frame_text_ + "}");
        if (!header.ok()) return Check(header.error());
        current_ = ResolveTable(*header);
        if (!status_.ok()) return false;
        if (!current_) {  // members in an unusual order: keep the rows until the frame ends
            buffering_ = true;
            return true;
        }
        if (!StartTable(*current_)) return false;
        // A progressive DataReplace fragment restates the whole table. A streaming reader has already handed
        // the earlier rows on and cannot take them back, so it says so instead of duplicating them. (The ADX
        // connector never asks for progressive results.)
        if (MemberString(*header, "FragmentType") == "DataReplace" && current_->delivered) {
            Fail(Malformed("table " + current_->info.name +
                           " was restated by a DataReplace fragment after its rows were delivered; request "
                           "non-progressive results to stream them"));
            return false;
        }
        batch_.Reset(current_->info.schema.size());
        scratch_.assign(current_->info.schema.size(), Value{});
        return true;
    }

    // One step inside the Rows array: a separator, a row, or the closing bracket.
    bool RowsStep() {
        const char* base = buf_.data();
        const char* limit = base + buf_.size();
        const char* p = base + pos_;
        for (;;) {
            while (p < limit && (IsSpace(*p) || *p == ',')) ++p;
            pos_ = static_cast<size_t>(p - base);
            if (p == limit) return false;
            if (*p == ']') {
                ++pos_;
                if (!Flush()) return false;
                seg_start_ = pos_;
                state_ = State::kInFrame;
                return true;
            }
            const char* end = nullptr;
            if (*p == '[' && !buffering_ && current_) {
                Scan s = DecodeRow(p, limit, end);
                if (s == Scan::kNeedMore) return false;
                if (s == Scan::kBad) return false;  // status_ set
            } else if (*p == '[' || *p == '{') {
                Scan s = SkipValue(p, limit, end);
                if (s == Scan::kNeedMore) return false;
                if (!OtherRow(std::string_view(p, static_cast<size_t>(end - p)))) return false;
            } else {
                Fail(SyntaxAt("a row"));
                return false;
            }
            p = end;
        }
    }

    // A row that is an object (in-band errors) or that cannot be placed yet (columns not known).
    bool OtherRow(std::string_view text) {
        Json row = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (row.is_discarded()) return Check(SyntaxAt("a valid row"));
        if (row.is_object()) {
            auto errors = RowErrors(row);
            auto& sink = current_ ? current_->row_errors : pending_row_errors_;
            sink.insert(sink.end(), errors.begin(), errors.end());
            return true;
        }
        buffered_rows_.push_back(std::move(row));
        return true;
    }

    // Decodes `[cell, ...]` at p into scratch_, then moves it into the batch.
    Scan DecodeRow(const char* p, const char* limit, const char*& end) {
        const char* const row_start = p;
        const Schema& schema = current_->info.schema;
        const size_t width = schema.size();
        for (auto& v : scratch_) v = Value{};
        ++p;  // '['
        size_t cell = 0;
        for (;;) {
            while (p < limit && IsSpace(*p)) ++p;
            if (p == limit) return Scan::kNeedMore;
            if (*p == ']') {
                ++p;
                break;
            }
            if (*p == ',') {
                ++p;
                continue;
            }
            const char* cell_end = nullptr;
            Scan s = cell < width ? DecodeCell(p, limit, schema[cell], scratch_[cell], cell_end)
                                  : SkipValue(p, limit, cell_end);
            if (s != Scan::kDone) return s;
            p = cell_end;
            ++cell;
        }
        end = p;
        Value* row = batch_.AddRow();
        for (size_t i = 0; i < width; ++i) row[i] = std::move(scratch_[i]);
        batch_.AddBytes(static_cast<size_t>(end - row_start));
        if (batch_.rows() >= options_.batch_rows && !Flush()) return Scan::kBad;
        return Scan::kDone;
    }

    Scan CellError(const Column& column, std::string message) {
        Fail(Malformed("table " + current_->info.name + ", column " + column.name + ": " +
                       std::move(message)));
        return Scan::kBad;
    }

    // The general path, for shapes the fast path does not expect (a bool written as a string, ...).
    Scan DecodeSlow(std::string_view text, const Column& column, Value& out) {
        Json wire = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (wire.is_discarded())
            return CellError(column, "invalid JSON value " + std::string(text.substr(0, 64)));
        auto v = DecodeValue(column.type, wire);
        if (!v.ok()) return CellError(column, v.error().message);
        out = std::move(v).value();
        return Scan::kDone;
    }

    Scan DecodeCell(const char* p, const char* limit, const Column& column, Value& out, const char*& end) {
        const char c = *p;
        if (c == '"') {
            bool escaped = false;
            if (SkipString(p, limit, end, &escaped) != Scan::kDone) return Scan::kNeedMore;
            switch (column.type) {
                case ColumnType::kString:
                case ColumnType::kDateTime:
                case ColumnType::kGuid:
                case ColumnType::kDecimal:
                case ColumnType::kTimeSpan:
                case ColumnType::kDynamic: {
                    std::string s = TakeString();
                    if (!escaped)
                        s.assign(p + 1, static_cast<size_t>(end - p - 2));
                    else if (!DecodeString(p, end, s))
                        return CellError(column, "invalid string escape");
                    out = std::move(s);
                    return Scan::kDone;
                }
                default:  // numbers as text ("NaN", "Infinity", "42"), bools as text
                    return DecodeSlow(std::string_view(p, static_cast<size_t>(end - p)), column, out);
            }
        }
        if (c == '{' || c == '[') {
            Scan s = SkipValue(p, limit, end);
            if (s != Scan::kDone) return s;
            const std::string_view text(p, static_cast<size_t>(end - p));
            if (column.type == ColumnType::kDynamic) {
                std::string s = TakeString();
                s.assign(text);  // the service writes compact JSON: keep its text as is
                out = std::move(s);
                return Scan::kDone;
            }
            return DecodeSlow(text, column, out);
        }
        Scan s = SkipValue(p, limit, end);
        if (s != Scan::kDone) return s == Scan::kBad ? CellError(column, "empty value") : s;
        const std::string_view text(p, static_cast<size_t>(end - p));
        if (text == "null") {
            out = Value{};
            return Scan::kDone;
        }
        if (IsNumberStart(c)) {
            switch (column.type) {
                case ColumnType::kInt:
                case ColumnType::kLong: {
                    int64_t v = 0;
                    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
                    if (ec == std::errc() && ptr == text.data() + text.size()) {
                        out = v;
                        return Scan::kDone;
                    }
                    break;
                }
                case ColumnType::kReal: {
                    double v = 0;
                    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
                    if (ec == std::errc() && ptr == text.data() + text.size()) {
                        out = v;
                        return Scan::kDone;
                    }
                    break;
                }
                case ColumnType::kTimeSpan: {
                    int64_t ticks = 0;
                    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ticks);
                    if (ec == std::errc() && ptr == text.data() + text.size()) {
                        out = TimespanFromTicks(ticks);
                        return Scan::kDone;
                    }
                    break;
                }
                default:
                    break;
            }
        } else if (column.type == ColumnType::kBool && (text == "true" || text == "false")) {
            out = text == "true";
            return Scan::kDone;
        }
        return DecodeSlow(text, column, out);
    }

    bool Flush() {
        if (!current_ || batch_.empty()) return true;
        current_->delivered = true;
        bool ok = Check(handler_.OnRowsOwned(current_->info, batch_));
        HarvestStrings(batch_);
        batch_.Reset(current_->info.schema.size());
        return ok;
    }

    // Text cells are most of a result's allocations. A handler that takes the batch may hand back one it is
    // done with (the ADX source recycles them): its strings keep their capacity for the next rows' text,
    // instead of one free on the consumer's thread and one malloc here per cell.
    void HarvestStrings(RowBatch& batch) {
        constexpr size_t kMaxPooled = 1 << 16;       // strings kept: a few batches' worth
        constexpr size_t kMaxPooledCapacity = 4096;  // a huge value's buffer is not kept around
        for (size_t r = 0; r < batch.rows() && string_pool_.size() < kMaxPooled; ++r) {
            Value* row = batch.Row(r);
            for (size_t c = 0; c < batch.width(); ++c)
                if (auto* text = std::get_if<std::string>(&row[c]);
                    text && text->capacity() > 15 && text->capacity() <= kMaxPooledCapacity)
                    string_pool_.push_back(std::move(*text));
        }
    }

    std::string TakeString() {
        if (string_pool_.empty()) return {};
        std::string s = std::move(string_pool_.back());
        string_pool_.pop_back();
        return s;
    }

    void EndFrame() {
        auto parsed = ParseFrameText(frame_text_);
        if (!parsed.ok()) {
            Fail(parsed.error());
            return;
        }
        const Json& frame = *parsed;
        const std::string type = MemberString(frame, "FrameType");
        if (buffering_) {  // rows arrived before the members that place them
            current_ = ResolveTable(frame);
            if (!status_.ok()) return;
            if (!current_) {
                Fail(Malformed(type + " frame with rows but no usable TableId/Columns"));
                return;
            }
            if (!StartTable(*current_)) return;
            batch_.Reset(current_->info.schema.size());
            for (const auto& row : buffered_rows_) {
                if (!Check(FillRow(current_->info, row, batch_.AddRow()))) return;
                if (batch_.rows() >= options_.batch_rows && !Flush()) return;
            }
            if (!Flush()) return;
            buffered_rows_.clear();
        }
        if (current_ && !pending_row_errors_.empty())
            current_->row_errors.insert(current_->row_errors.end(), pending_row_errors_.begin(),
                                        pending_row_errors_.end());
        if (type == "DataTable") {
            Table* t = current_ ? current_ : ResolveTable(frame);
            if (!status_.ok()) return;
            if (!t) {
                Fail(Malformed("DataTable frame without TableId, TableName, TableKind or Columns"));
                return;
            }
            if (StartTable(*t)) EndTable(*t, {});
            return;
        }
        if (type == "TableHeader") {
            Table* t = ResolveTable(frame);
            if (!status_.ok()) return;
            if (!t) {
                Fail(Malformed("TableHeader without TableId or Columns"));
                return;
            }
            StartTable(*t);
            return;
        }
        if (type == "TableFragment" && !current_ && !buffering_) {
            auto id = MemberInt(frame, "TableId");
            if (!id || !tables_.count(*id)) Fail(Malformed("TableFragment for a table never announced"));
            return;
        }
        if (type == "TableCompletion") {
            auto id = MemberInt(frame, "TableId");
            auto it = id ? tables_.find(*id) : tables_.end();
            if (it == tables_.end()) {
                Fail(Malformed("TableCompletion for a table never announced"));
                return;
            }
            EndTable(it->second, ErrorsFrom(FindMember(frame, "OneApiErrors")));
            return;
        }
        if (type == "DataSetCompletion") {
            auto flag = [&](const char* name) {
                const Json* v = FindMember(frame, name);
                return v && v->is_boolean() && v->get<bool>();
            };
            handler_.OnCompletion(flag("HasErrors"), flag("Cancelled"),
                                  ErrorsFrom(FindMember(frame, "OneApiErrors")));
        }
        // DataSetHeader, TableProgress and frame types added later carry nothing a reader needs.
    }

    void EndTable(Table& t, std::vector<KustoError> errors) {
        errors.insert(errors.begin(), t.row_errors.begin(), t.row_errors.end());
        t.row_errors.clear();
        Check(handler_.OnTableEnd(t.info, errors));
    }

    ResponseHandler& handler_;
    ParseOptions options_;
    Status status_ = Ok();
    State state_ = State::kStart;
    std::string buf_;        // unconsumed input
    size_t pos_ = 0;         // scan position in buf_
    size_t seg_start_ = 0;   // start in buf_ of frame text not yet copied to frame_text_
    uint64_t consumed_ = 0;  // bytes erased from the front of buf_ (for error offsets)
    uint64_t fed_ = 0;
    std::string frame_text_;  // the current frame without its rows
    std::map<int, Table> tables_;
    Table* current_ = nullptr;  // the table the current frame's rows go to
    bool buffering_ = false;
    std::vector<Json> buffered_rows_;
    std::vector<KustoError> pending_row_errors_;
    RowBatch batch_;
    std::vector<Value> scratch_;
    std::vector<std::string> string_pool_;  // emptied strings whose buffers are reused (HarvestStrings)
};

V2StreamParser::V2StreamParser(ResponseHandler& handler, const ParseOptions& options)
    : impl_(std::make_unique<Impl>(handler, options)) {}
V2StreamParser::~V2StreamParser() = default;
Status V2StreamParser::Feed(std::string_view bytes) {
    return impl_->Feed(bytes);
}
Status V2StreamParser::Finish() {
    return impl_->Finish();
}
uint64_t V2StreamParser::bytes_fed() const {
    return impl_->bytes_fed();
}

Status ParseV2(std::string_view body, ResponseHandler& handler, const ParseOptions& options) {
    V2StreamParser parser(handler, options);
    ADXFLOW_TRY(parser.Feed(body));
    return parser.Finish();
}

}  // namespace adxflow::kusto
