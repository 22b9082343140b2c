#include "connectors/common/azure/blob_client.hpp"

#include <cstdio>

#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/azure/xml.hpp"
#include "connectors/common/http/url.hpp"

namespace adxflow::azure {
namespace {

std::string RangeHeader(const ByteRange& range) {
    std::string value = "bytes=" + std::to_string(range.offset) + "-";
    if (range.length) value += std::to_string(range.offset + *range.length - 1);
    return value;
}

uint64_t ToUint(const std::string* text) {
    if (!text) return 0;
    return std::strtoull(text->c_str(), nullptr, 10);
}

BlobProperties PropertiesFromHeaders(const std::string& name, const http::HttpResponse& response) {
    auto header = [&](const char* h) {
        const std::string* v = response.headers.Get(h);
        return v ? *v : std::string{};
    };
    BlobProperties p;
    p.name = name;
    // A ranged read reports the whole size after the slash of Content-Range ("bytes 0-99/12345").
    std::string content_range = header("Content-Range");
    if (size_t slash = content_range.rfind('/');
        slash != std::string::npos && content_range.substr(slash + 1) != "*") {
        p.content_length = std::strtoull(content_range.c_str() + slash + 1, nullptr, 10);
    } else {
        p.content_length = ToUint(response.headers.Get("Content-Length"));
    }
    p.content_type = header("Content-Type");
    p.content_encoding = header("Content-Encoding");
    p.content_md5 = header("Content-MD5");
    p.etag = header("ETag");
    p.last_modified = header("Last-Modified");
    p.blob_type = header("x-ms-blob-type");
    return p;
}

std::string DecodedName(const XmlElement* name) {
    if (!name) return {};
    const std::string* encoded = name->Attribute("Encoded");
    return encoded && *encoded == "true" ? http::PercentDecode(name->text) : name->text;
}

}  // namespace

std::string MakeBlockId(size_t index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "block-%06zu", index);
    return buf;
}

std::string BlobPath(const std::string& container, const std::string& blob) {
    std::string path = "/" + http::PercentEncode(container);
    if (!blob.empty()) path += "/" + http::PercentEncode(blob, "/");
    return path;
}

BlobClient::BlobClient(StorageAccount account, http::HttpClient& http)
    : transport_(std::move(account), StorageService::kBlob, http) {}

Status BlobClient::CreateContainer(const std::string& container, const CallOptions& options) const {
    StorageCall call =
        StorageCall::Make("blob.create_container", "PUT", BlobPath(container, ""), "restype=container");
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (response.is_success()) return Ok();
    if (response.status == 409 && StorageErrorCode(response) == "ContainerAlreadyExists") return Ok();
    return StorageError(response, "blob.create_container");
}

Status BlobClient::DeleteContainer(const std::string& container, const CallOptions& options) const {
    StorageCall call =
        StorageCall::Make("blob.delete_container", "DELETE", BlobPath(container, ""), "restype=container");
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (response.is_success() || response.status == 404) return Ok();
    return StorageError(response, "blob.delete_container");
}

Status BlobClient::PutBlob(const std::string& container, const std::string& blob, std::string_view data,
                           const std::string& content_type, const CallOptions& options) const {
    StorageCall call = StorageCall::Make("blob.put", "PUT", BlobPath(container, blob));
    call.headers.Set("x-ms-blob-type", "BlockBlob");
    call.headers.Set("Content-Type", content_type);
    call.body = std::string(data);
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.put");
    return Ok();
}

Status BlobClient::PutBlock(const std::string& container, const std::string& blob,
                            const std::string& block_id, std::string_view data,
                            const CallOptions& options) const {
    StorageCall call = StorageCall::Make("blob.put_block", "PUT", BlobPath(container, blob));
    http::AppendQueryParam(call.query, "comp", "block");
    http::AppendQueryParam(call.query, "blockid", Base64Encode(block_id));
    call.body = std::string(data);
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.put_block");
    return Ok();
}

Status BlobClient::PutBlockList(const std::string& container, const std::string& blob,
                                const std::vector<std::string>& block_ids, const std::string& content_type,
                                const CallOptions& options) const {
    StorageCall call =
        StorageCall::Make("blob.put_block_list", "PUT", BlobPath(container, blob), "comp=blocklist");
    call.headers.Set("x-ms-blob-content-type", content_type);
    call.headers.Set("Content-Type", "application/xml");
    call.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : block_ids) call.body += "<Latest>" + Base64Encode(id) + "</Latest>";
    call.body += "</BlockList>";
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.put_block_list");
    return Ok();
}

Status BlobClient::Upload(const std::string& container, const std::string& blob, std::string_view data,
                          uint64_t block_size, const std::string& content_type,
                          const CallOptions& options) const {
    if (block_size == 0 || data.size() <= block_size)
        return PutBlob(container, blob, data, content_type, options);
    std::vector<std::string> ids;
    for (uint64_t offset = 0; offset < data.size(); offset += block_size) {
        ids.push_back(MakeBlockId(ids.size()));
        ADXFLOW_TRY(PutBlock(container, blob, ids.back(), data.substr(offset, block_size), options));
    }
    return PutBlockList(container, blob, ids, content_type, options);
}

Result<std::string> BlobClient::GetBlob(const std::string& container, const std::string& blob,
                                        std::optional<ByteRange> range, const CallOptions& options,
                                        uint64_t max_bytes) const {
    StorageCall call = StorageCall::Make("blob.get", "GET", BlobPath(container, blob));
    if (range) call.headers.Set("x-ms-range", RangeHeader(*range));
    call.max_body_bytes = max_bytes;
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.get");
    return std::move(response.body);
}

Result<BlobProperties> BlobClient::GetBlobStreaming(const std::string& container, const std::string& blob,
                                                    std::optional<ByteRange> range,
                                                    const http::BodyChunkHandler& on_chunk,
                                                    const CallOptions& options) const {
    StorageCall call = StorageCall::Make("blob.get", "GET", BlobPath(container, blob));
    if (range) call.headers.Set("x-ms-range", RangeHeader(*range));
    call.max_body_bytes = 0;  // streamed: the consumer decides how much it keeps
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options, &on_chunk));
    if (!response.is_success()) return StorageError(response, "blob.get");
    return PropertiesFromHeaders(blob, response);
}

Result<BlobProperties> BlobClient::GetProperties(const std::string& container, const std::string& blob,
                                                 const CallOptions& options) const {
    StorageCall call = StorageCall::Make("blob.get_properties", "HEAD", BlobPath(container, blob));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.get_properties");
    return PropertiesFromHeaders(blob, response);
}

Result<ListBlobsPage> BlobClient::ListBlobs(const std::string& container, const ListBlobsOptions& list,
                                            const CallOptions& options) const {
    StorageCall call =
        StorageCall::Make("blob.list", "GET", BlobPath(container, ""), "restype=container&comp=list");
    if (!list.prefix.empty()) http::AppendQueryParam(call.query, "prefix", list.prefix);
    if (!list.delimiter.empty()) http::AppendQueryParam(call.query, "delimiter", list.delimiter);
    if (!list.marker.empty()) http::AppendQueryParam(call.query, "marker", list.marker);
    if (list.max_results > 0)
        http::AppendQueryParam(call.query, "maxresults", std::to_string(list.max_results));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.list");

    auto parsed = ParseXml(response.body);
    if (!parsed.ok()) {
        Error e = std::move(parsed).error();
        e.op = "blob.list";
        e.message = "List Blobs response is not valid XML: " + e.message;
        return e;
    }
    ListBlobsPage page;
    page.next_marker = parsed->ChildText("NextMarker");
    if (const XmlElement* blobs = parsed->Child("Blobs")) {
        for (const XmlElement& item : blobs->children) {
            if (item.name == "BlobPrefix") {
                page.prefixes.push_back(DecodedName(item.Child("Name")));
                continue;
            }
            if (item.name != "Blob") continue;
            BlobProperties p;
            p.name = DecodedName(item.Child("Name"));
            if (const XmlElement* props = item.Child("Properties")) {
                p.content_length = std::strtoull(props->ChildText("Content-Length").c_str(), nullptr, 10);
                p.content_type = props->ChildText("Content-Type");
                p.content_encoding = props->ChildText("Content-Encoding");
                p.content_md5 = props->ChildText("Content-MD5");
                p.etag = props->ChildText("Etag");
                p.last_modified = props->ChildText("Last-Modified");
                p.blob_type = props->ChildText("BlobType");
            }
            page.blobs.push_back(std::move(p));
        }
    }
    return page;
}

Status BlobClient::DeleteBlob(const std::string& container, const std::string& blob,
                              const CallOptions& options) const {
    StorageCall call = StorageCall::Make("blob.delete", "DELETE", BlobPath(container, blob));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "blob.delete");
    return Ok();
}

}  // namespace adxflow::azure
