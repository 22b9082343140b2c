#pragma once
// Shared Key authorization for Azure Storage. Blob and Queue sign the verb, twelve standard headers, every
// x-ms-* header and the canonicalized resource; Table signs a shorter string (verb, Content-MD5,
// Content-Type, date and the resource with only its "comp" parameter).

#include <string>
#include <string_view>

#include "connectors/common/azure/account.hpp"
#include "connectors/common/http/message.hpp"
#include "connectors/common/http/url.hpp"

namespace adxflow::azure {

// Exposed so that tests can check the exact strings against hand-written expectations.
std::string BlobQueueStringToSign(const http::HttpRequest& request, const http::Url& url,
                                  std::string_view account);
std::string TableStringToSign(const http::HttpRequest& request, const http::Url& url,
                              std::string_view account);

// Adds "Authorization: SharedKey account:signature". The request must already carry x-ms-date and every
// other x-ms-* header it will be sent with (including x-ms-client-request-id), because they are signed.
Status SignSharedKey(http::HttpRequest& request, StorageService service, std::string_view account,
                     std::string_view account_key_base64);

}  // namespace adxflow::azure
