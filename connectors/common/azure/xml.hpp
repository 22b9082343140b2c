#pragma once
// A minimal XML reader for Azure Storage responses (List Blobs, queue messages, error documents) and an
// escaper for the bodies we send. It builds a small element tree; it does not resolve DTDs, namespaces or
// external entities (none appear in these responses, and not supporting them keeps the reader safe).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace adxflow::azure {

struct XmlElement {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;  // character data directly inside this element (entities decoded, CDATA included)
    std::vector<XmlElement> children;

    const XmlElement* Child(std::string_view child_name) const;
    // Text of the first child with that name, or "" when absent.
    std::string ChildText(std::string_view child_name) const;
    std::vector<const XmlElement*> Children(std::string_view child_name) const;
    const std::string* Attribute(std::string_view attribute_name) const;
};

// Parses a document and returns its root element. Errors are kTransient: a malformed body from a storage
// service is a truncated or garbled response, not a user mistake.
Result<XmlElement> ParseXml(std::string_view document);

// Escapes &, <, >, " and ' for element text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace adxflow::azure
