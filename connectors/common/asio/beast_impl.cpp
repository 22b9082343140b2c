// The single translation unit that compiles Boost.Asio, Asio's SSL layer and Boost.Beast.
// Every other file sees them with BOOST_*_SEPARATE_COMPILATION defined and only declares what it uses,
// which cuts a from-scratch build of the daemon by minutes on a two-core machine.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
