#include "connectors/common/azure/xml.hpp"

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "core/utf8.hpp"

namespace adxflow::azure {
namespace {

class XmlParser {
  public:
    explicit XmlParser(std::string_view doc) : doc_(doc) {}

    Result<XmlElement> ParseDocument() {
        SkipMisc();
        if (!Peek('<')) return Fail("expected the root element");
        XmlElement root;
        ADXFLOW_TRY(ParseElement(root, 0));
        SkipMisc();
        if (pos_ != doc_.size()) return Fail("unexpected content after the root element");
        return root;
    }

  private:
    static constexpr int kMaxDepth = 64;

    Error Fail(const std::string& what) const {
        return MakeError(ErrorKind::kTransient, "xml.parse", what + " at offset " + std::to_string(pos_));
    }
    bool Peek(char c) const { return pos_ < doc_.size() && doc_[pos_] == c; }
    bool StartsWith(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }
    void SkipSpace() {
        while (pos_ < doc_.size() && std::isspace(static_cast<unsigned char>(doc_[pos_]))) ++pos_;
    }
    // Skips whitespace, the XML declaration, processing instructions, comments and a DOCTYPE.
    void SkipMisc() {
        for (;;) {
            SkipSpace();
            if (StartsWith("\xEF\xBB\xBF")) {  // UTF-8 byte order mark
                pos_ += 3;
            } else if (StartsWith("<?")) {
                SkipPast("?>");
            } else if (StartsWith("<!--")) {
                SkipPast("-->");
            } else if (StartsWith("<!DOCTYPE")) {
                SkipPast(">");
            } else {
                return;
            }
        }
    }
    void SkipPast(std::string_view end) {
        size_t at = doc_.find(end, pos_);
        pos_ = at == std::string_view::npos ? doc_.size() : at + end.size();
    }
    std::string_view ReadName() {
        size_t start = pos_;
        while (pos_ < doc_.size()) {
            char c = doc_[pos_];
            if (std::isspace(static_cast<unsigned char>(c)) || c == '>' || c == '/' || c == '=' || c == '<')
                break;
            ++pos_;
        }
        return doc_.substr(start, pos_ - start);
    }

    Status DecodeText(std::string_view raw, std::string& out) {
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '&') {
                out += raw[i];
                continue;
            }
            size_t semi = raw.find(';', i);
            if (semi == std::string_view::npos) return Fail("unterminated entity");
            std::string_view entity = raw.substr(i + 1, semi - i - 1);
            if (entity == "amp")
                out += '&';
            else if (entity == "lt")
                out += '<';
            else if (entity == "gt")
                out += '>';
            else if (entity == "quot")
                out += '"';
            else if (entity == "apos")
                out += '\'';
            else if (!entity.empty() && entity[0] == '#') {
                unsigned long code = 0;
                bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
                std::string digits(entity.substr(hex ? 2 : 1));
                if (digits.empty()) return Fail("empty character reference");
                char* end = nullptr;
                code = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
                if (*end != '\0' || code > 0x10FFFF) return Fail("bad character reference");
                AppendUtf8(out, static_cast<uint32_t>(code));
            } else {
                return Fail("unknown entity '&" + std::string(entity) + ";'");
            }
            i = semi;
        }
        return Ok();
    }

    Status ParseElement(XmlElement& element, int depth) {
        if (depth > kMaxDepth) return Fail("elements nested too deeply");
        ++pos_;  // '<'
        element.name = std::string(ReadName());
        if (element.name.empty()) return Fail("element without a name");
        for (;;) {
            SkipSpace();
            if (StartsWith("/>")) {
                pos_ += 2;
                return Ok();
            }
            if (Peek('>')) {
                ++pos_;
                break;
            }
            std::string name(ReadName());
            if (name.empty()) return Fail("malformed attribute in <" + element.name + ">");
            SkipSpace();
            if (!Peek('=')) return Fail("attribute without a value");
            ++pos_;
            SkipSpace();
            if (pos_ >= doc_.size() || (doc_[pos_] != '"' && doc_[pos_] != '\''))
                return Fail("unquoted attribute");
            char quote = doc_[pos_++];
            size_t end = doc_.find(quote, pos_);
            if (end == std::string_view::npos) return Fail("unterminated attribute value");
            std::string value;
            ADXFLOW_TRY(DecodeText(doc_.substr(pos_, end - pos_), value));
            element.attributes.emplace_back(std::move(name), std::move(value));
            pos_ = end + 1;
        }
        // Content: text, CDATA, comments, child elements, then the end tag.
        for (;;) {
            if (pos_ >= doc_.size()) return Fail("unterminated element <" + element.name + ">");
            if (StartsWith("</")) {
                pos_ += 2;
                std::string_view closing = ReadName();
                if (closing != element.name)
                    return Fail("end tag </" + std::string(closing) + "> does not match <" + element.name +
                                ">");
                SkipSpace();
                if (!Peek('>')) return Fail("malformed end tag");
                ++pos_;
                return Ok();
            }
            if (StartsWith("<![CDATA[")) {
                size_t end = doc_.find("]]>", pos_);
                if (end == std::string_view::npos) return Fail("unterminated CDATA");
                element.text.append(doc_.substr(pos_ + 9, end - pos_ - 9));
                pos_ = end + 3;
            } else if (StartsWith("<!--")) {
                SkipPast("-->");
            } else if (StartsWith("<?")) {
                SkipPast("?>");
            } else if (Peek('<')) {
                element.children.emplace_back();
                ADXFLOW_TRY(ParseElement(element.children.back(), depth + 1));
            } else {
                size_t end = doc_.find('<', pos_);
                if (end == std::string_view::npos) end = doc_.size();
                ADXFLOW_TRY(DecodeText(doc_.substr(pos_, end - pos_), element.text));
                pos_ = end;
            }
        }
    }

    std::string_view doc_;
    size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
    for (const auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

std::string XmlElement::ChildText(std::string_view child_name) const {
    const XmlElement* c = Child(child_name);
    return c ? c->text : std::string{};
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view child_name) const {
    std::vector<const XmlElement*> out;
    for (const auto& c : children)
        if (c.name == child_name) out.push_back(&c);
    return out;
}

const std::string* XmlElement::Attribute(std::string_view attribute_name) const {
    for (const auto& [k, v] : attributes)
        if (k == attribute_name) return &v;
    return nullptr;
}

Result<XmlElement> ParseXml(std::string_view document) {
    return XmlParser(document).ParseDocument();
}

std::string XmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace adxflow::azure
