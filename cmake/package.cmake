# Installation: `cmake --install build` puts every component in place
# (the programs' own install rules name their component):
#   gatewayd  gatewayd, gw-cert, gatewayd.service, SYSCONFDIR/gatewayd/
#             gateway.ini, man pages gatewayd.8, gatewayd.ini.5, gw-cert.1,
#             the docs
#   gw-agent  gw-agent, gw-agent.8
#   gw-mgmt   gw-mgmt, gw-mgmt.service, SYSCONFDIR/gw-mgmt/mgmt.ini,
#             gw-mgmt.8
# gw-loadgen, a benchmark tool, is in none.
include_guard()

install(FILES README.md SECURITY.md docs/PROTOCOL.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT gatewayd)

set(GW_PKG_DIR ${CMAKE_BINARY_DIR}/packaging)
foreach(GW_NAME gatewayd gw-mgmt)
  if(GW_NAME STREQUAL "gatewayd")
    set(GW_CONF gateway.ini)
  else()
    set(GW_CONF mgmt.ini)
  endif()
  # The sample configuration and the unit, with the paths of the install
  # prefix (cmake/install_conf.cmake).
  install(CODE "
    set(GW_SRC \"${CMAKE_SOURCE_DIR}\")
    set(GW_BIN \"${GW_PKG_DIR}/${GW_NAME}\")
    set(GW_NAME ${GW_NAME})
    set(GW_CONF ${GW_CONF})
    set(GW_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(GW_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(GW_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
    include(\"${CMAKE_SOURCE_DIR}/cmake/install_conf.cmake\")"
    COMPONENT ${GW_NAME})
endforeach()
