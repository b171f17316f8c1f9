#pragma once

#include "app/commandline.h"

namespace tollgate {

class Service;

// tollgate catalog import FILE [--apply] [--add-new] [--remove-missing] | import --built-in | export [FILE]:
// prints what an import would change (per model and component), applies it with --apply; returns the exit code.
int catalogCommand(Service& s, const CommandLine& cl);

} // namespace tollgate
