// adxflowd: parse the command line, then hand over to the daemon library.
#include <cstdio>
#include <iostream>

#include "config/settings.hpp"
#include "daemon/app/app.hpp"
#include "daemon/app/rotate_key.hpp"

int main(int argc, char** argv) {
    std::string action;
    auto settings = adxflow::config::ParseCommandLine(argc, argv, &action);
    if (!settings.ok()) {
        std::fprintf(stderr, "adxflowd: %s\n", settings.error().message.c_str());
        return 2;
    }
    if (action == "help") {
        std::cout << adxflow::config::HelpText();
        return 0;
    }
    if (action == "version") {
        std::cout << "adxflowd 0.1.0\n";
        return 0;
    }
    if (action == "config-doc") {
        std::cout << adxflow::config::ConfigurationDoc();
        return 0;
    }
    if (action == "rotate-secrets-key") return adxflow::app::RotateSecretsKeyCommand(*settings);
    adxflow::app::ConfigureLogging(settings->log_level);
    return adxflow::app::RunUntilSignalled(*settings);
}
