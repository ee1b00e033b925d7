// The `strata` subcommands; main.cc dispatches on argv[1].
#pragma once

namespace strata {

int ServerMain(int argc, char** argv);  // strata server ... / strata gateway ...
int NodeMain(int argc, char** argv);    // strata node ...
int AdminMain(int argc, char** argv);   // strata admin ...

}  // namespace strata
