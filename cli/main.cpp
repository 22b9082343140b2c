// adxflow: command-line client for adxflowd. All logic lives in the other files of this folder.
#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return adxflow::cli::Main(argc, argv);
}
