// xml() and xpath(), on libxml2 (XPath 1.0).
//
// An XML value travels as the envelope ADF (and Logic Apps) show for XML content:
// {"$content-type": "application/xml;charset=utf-8", "$content": <base64 of the XML text>}; string() and
// interpolation give the XML text back (see ToText). xml() takes XML text, or a JSON object with a single
// root property converted the way ADF documents (properties become child elements, "@name" members
// attributes, "#text" the element's text, arrays repeated elements). xpath() returns a number, string or
// boolean for XPath functions such as sum() or string(), one node when one node matches (an element as an
// XML value, an attribute or text node as its string), and an array otherwise.
//
// Parsing never touches the network or external entities (no XML_PARSE_NOENT/DTDLOAD, XML_PARSE_NONET),
// and libxml2's own error printing is silenced: problems come back as the function's error.
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <cmath>
#include <memory>
#include <mutex>

#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

constexpr const char* kXmlContentType = "application/xml;charset=utf-8";

void Quiet(void*, const char*, ...) {}

void InitLibxml() {
    static std::once_flag once;
    std::call_once(once, [] { xmlInitParser(); });
    // Per thread in libxml2: set on every call, it costs a store.
    xmlSetGenericErrorFunc(nullptr, Quiet);
}

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

Json XmlValue(const std::string& text) {
    return Json{{"$content-type", kXmlContentType}, {"$content", EncodeBase64(text)}};
}

DocPtr ParseXml(const std::string& text) {
    constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS;
    return DocPtr(xmlReadMemory(text.data(), static_cast<int>(text.size()), "expr.xml", nullptr, kOptions));
}

// An element as XML text of its own: copied into a document of its own first, so that the namespaces it
// uses are declared on it (<location xmlns="...">) rather than left on an ancestor.
std::string NodeText(xmlNode* node) {
    DocPtr own(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
    xmlNode* copy = xmlDocCopyNode(node, own.get(), 1);
    if (!copy) return {};
    xmlDocSetRootElement(own.get(), copy);
    xmlReconciliateNs(own.get(), copy);
    xmlBuffer* buffer = xmlBufferCreate();
    xmlNodeDump(buffer, own.get(), copy, 0, 0);
    std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                    static_cast<size_t>(xmlBufferLength(buffer)));
    xmlBufferFree(buffer);
    return out;
}

std::string Escape(const std::string& text, bool attribute) {
    std::string out;
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
                out += attribute ? "&quot;" : "\"";
                break;
            default:
                out += c;
        }
    }
    return out;
}

bool ValidName(const std::string& name) {
    return xmlValidateName(reinterpret_cast<const xmlChar*>(name.c_str()), 0) == 0;
}

// One element <name> for `value`; arrays are handled by the caller (one element per item).
Result<std::string> ElementXml(const std::string& name, const Json& value, const CallEnv& env, int depth) {
    if (depth > 64) return FunctionError(env, "cannot convert JSON nested deeper than 64 levels to XML");
    if (!ValidName(name)) return FunctionError(env, "cannot use '" + name + "' as an XML element name");
    std::string attributes, children;
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            const std::string& key = it.key();
            if (key.size() > 1 && key[0] == '@') {
                if (!ValidName(key.substr(1)))
                    return FunctionError(env, "cannot use '" + key + "' as an XML attribute");
                attributes += " " + key.substr(1) + "=\"" + Escape(ToText(it.value()), true) + "\"";
            } else if (key == "#text") {
                children += Escape(ToText(it.value()), false);
            } else if (it.value().is_array()) {
                for (const auto& item : it.value()) {
                    ADXFLOW_ASSIGN_OR_RETURN(std::string child, ElementXml(key, item, env, depth + 1));
                    children += child;
                }
            } else {
                ADXFLOW_ASSIGN_OR_RETURN(std::string child, ElementXml(key, it.value(), env, depth + 1));
                children += child;
            }
        }
    } else if (!value.is_null()) {
        children = Escape(ToText(value), false);
    }
    return "<" + name + attributes + ">" + children + "</" + name + ">";
}

// The XML text of an argument: an XML value, XML text, or (xml() only) JSON to convert.
Result<std::string> XmlText(const Json& v, const CallEnv& env, bool convert_json) {
    if (v.is_object() && v.value("$content-type", "").rfind("application/xml", 0) == 0) {
        if (auto text = DecodeBase64(v.value("$content", ""))) return *text;
        return FunctionError(env, "got an XML value whose content is not base64");
    }
    Json object = v;
    if (v.is_string()) {
        const std::string& text = v.get_ref<const std::string&>();
        if (ParseXml(text)) return text;
        object = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (!convert_json || !object.is_object())
            return FunctionError(env, "cannot read " + Show(v) + " as XML");
    }
    if (!convert_json || !object.is_object())
        return FunctionError(env, "expects XML or a JSON object, got " + TypeName(v) + " " + Show(v));
    if (object.size() != 1 || object.begin().value().is_array())
        return FunctionError(
            env,
            "needs a JSON object with exactly one root property that is not an array, got " + Show(object));
    return ElementXml(object.begin().key(), object.begin().value(), env, 0);
}

Result<Json> Xml(std::span<const Json> args, const CallEnv& env) {
    InitLibxml();
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, XmlText(args[0], env, true));
    DocPtr doc = ParseXml(text);
    if (!doc) return FunctionError(env, "produced text that is not well-formed XML");
    return XmlValue(text);
}

Json NodeValue(xmlNode* node) {
    if (node->type == XML_ELEMENT_NODE) return XmlValue(NodeText(node));
    xmlChar* content = xmlNodeGetContent(node);
    std::string text = content ? reinterpret_cast<const char*>(content) : "";
    xmlFree(content);
    return Json(text);
}

Result<Json> XPath(std::span<const Json> args, const CallEnv& env) {
    InitLibxml();
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, XmlText(args[0], env, false));
    ADXFLOW_ASSIGN_OR_RETURN(std::string path, StringArg(args, 1, env));
    DocPtr doc = ParseXml(text);
    if (!doc) return FunctionError(env, "cannot parse its first argument as XML");
    std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(xmlXPathNewContext(doc.get()),
                                                                         xmlXPathFreeContext);
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> result(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(path.c_str()), ctx.get()),
        xmlXPathFreeObject);
    if (!result) return FunctionError(env, "cannot evaluate the XPath '" + path + "'");
    switch (result->type) {
        case XPATH_NUMBER: {
            double d = result->floatval;
            if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9e15)
                return Json(static_cast<long long>(d));
            if (!std::isfinite(d)) return Json(nullptr);
            return Json(d);
        }
        case XPATH_STRING:
            return Json(std::string(reinterpret_cast<const char*>(result->stringval)));
        case XPATH_BOOLEAN:
            return Json(result->boolval != 0);
        case XPATH_NODESET: {
            xmlNodeSet* nodes = result->nodesetval;
            int count = nodes ? nodes->nodeNr : 0;
            if (count == 1) return NodeValue(nodes->nodeTab[0]);
            Json out = Json::array();
            for (int i = 0; i < count; ++i) out.push_back(NodeValue(nodes->nodeTab[i]));
            return out;
        }
        default:
            return FunctionError(env, "got an XPath result adxflow cannot represent");
    }
}

constexpr FunctionSpec kFunctions[] = {
    {"xml", 1, 1, Xml},
    {"xpath", 2, 2, XPath},
};

}  // namespace

std::span<const FunctionSpec> XmlFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
