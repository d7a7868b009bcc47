# Installation and Debian packages.  `cmake --install build` puts every
# component in place; CPack makes one .deb per component:
#   gatewayd  gatewayd, gatewayd.service, /etc/gatewayd/gateway.ini,
#             man pages gatewayd.8, gatewayd.ini.5, the docs
#   gw-cert   gw-cert, gw-cert.1 (the CA's side: gw-mgmt recommends it,
#             gatewayd suggests it)
#   gw-agent  gw-agent, gw-agent.service, /etc/gw-agent/agent.ini,
#             gw-agent.8, gw-agent.ini.5 (the user gw-agent, like gatewayd's)
#   gw-mgmt   gw-mgmt, gw-mgmt.service, /etc/gw-mgmt/mgmt.ini, gw-mgmt.8
#   gw-signer libexec/gatewayd/gw-signer, the signing authority that
#             gatewayd (mode = local) and gw-mgmt ([enroll] ca_dir) start
#             in a process of its own: both depend on it, so that neither
#             carries the code that signs
# (the programs' own install rules name their component; gw-loadgen, a
# benchmark tool, is in none).  `cmake --build build --target package`
# writes build/gatewayd_VERSION_ARCH.deb and the others.
include_guard()

install(FILES README.md SECURITY.md docs/PROTOCOL.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT gatewayd)

set(GW_PKG_DIR ${CMAKE_BINARY_DIR}/packaging)
set(GW_PKG_HINT_gatewayd "put gateway.crt, gateway.key (owner gatewayd, mode 0600) and the CA's ca.crt in /etc/gatewayd/pki, set listen and [upstream] server in /etc/gatewayd/gateway.ini")
set(GW_PKG_HINT_gw-mgmt "put mgmt.crt, mgmt.key (owner gw-mgmt, mode 0600) and the CA's ca.crt in /etc/gw-mgmt/pki, set listen in /etc/gw-mgmt/mgmt.ini")
set(GW_PKG_HINT_gw-agent "put agent.crt, agent.key (owner gw-agent, mode 0600) and the CA's ca.crt in /etc/gw-agent/pki, set gateway and the inputs in /etc/gw-agent/agent.ini")
foreach(GW_NAME gatewayd gw-mgmt gw-agent)
  if(GW_NAME STREQUAL "gatewayd")
    set(GW_CONF gateway.ini)
  elseif(GW_NAME STREQUAL "gw-agent")
    set(GW_CONF agent.ini)
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
  # Maintainer scripts and conffiles (CPack marks none by itself).
  set(GW_HINT "${GW_PKG_HINT_${GW_NAME}}")
  set(d ${GW_PKG_DIR}/deb/${GW_NAME})
  foreach(s postinst prerm)
    configure_file(${CMAKE_SOURCE_DIR}/packaging/deb/${s}.in ${d}/${s} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
                   GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  configure_file(${CMAKE_SOURCE_DIR}/packaging/deb/${GW_NAME}.postrm
                 ${d}/postrm COPYONLY)
  file(WRITE ${d}/conffiles "/etc/${GW_NAME}/${GW_CONF}\n")
  string(TOUPPER ${GW_NAME} C)
  set(CPACK_DEBIAN_${C}_PACKAGE_CONTROL_EXTRA
      "${d}/postinst;${d}/prerm;${d}/postrm;${d}/conffiles")
  if(GW_NAME STREQUAL "gw-agent")
    set(CPACK_DEBIAN_${C}_PACKAGE_DEPENDS "adduser")
  else()
    set(CPACK_DEBIAN_${C}_PACKAGE_DEPENDS
        "adduser, gw-signer (= ${PROJECT_VERSION})")
  endif()
endforeach()

set(GW_PACKAGE_MAINTAINER
    "gatewayd maintainers <maintainers@users.noreply.r-seed-6a5c7b26.example>"
    CACHE STRING "Maintainer field of the Debian packages")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gatewayd)
set(CPACK_PACKAGE_CONTACT "${GW_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)    # conffiles above say /etc
set(CPACK_COMPONENTS_ALL gatewayd gw-cert gw-agent gw-mgmt gw-signer)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)     # NAME_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)      # libev4, libinih1, ... (mbedTLS is static)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_GATEWAYD_PACKAGE_NAME gatewayd)
set(CPACK_DEBIAN_GW-CERT_PACKAGE_NAME gw-cert)
set(CPACK_DEBIAN_GW-AGENT_PACKAGE_NAME gw-agent)
set(CPACK_DEBIAN_GATEWAYD_PACKAGE_SUGGESTS gw-cert)
set(CPACK_DEBIAN_GW-MGMT_PACKAGE_RECOMMENDS gw-cert)
set(CPACK_DEBIAN_GW-MGMT_PACKAGE_NAME gw-mgmt)
set(CPACK_DEBIAN_GW-SIGNER_PACKAGE_NAME gw-signer)
set(CPACK_DEBIAN_GATEWAYD_DESCRIPTION
"gateway for cross-trust monitoring: agents over mutual TLS
gatewayd sits at the boundary of an untrusted network: monitoring agents
connect to it over mutual TLS and are authenticated by certificate before
a frame is parsed; their sessions are multiplexed onto a few mutual-TLS
links to the management servers (gw-mgmt), with end-to-end
acknowledgements and failover. Includes a sandboxed systemd unit.")
set(CPACK_DEBIAN_GW-CERT_DESCRIPTION
"PKI and enrollment tool for gatewayd
gw-cert makes the certificate authority and the certificates of
management servers, gateways and agents, revokes them (CRL), and
manages enrollment: bootstrap tokens and requests awaiting approval.")
set(CPACK_DEBIAN_GW-AGENT_DESCRIPTION
"reference agent for gatewayd
gw-agent ships events through gatewayd to a management server, keeping
each until the store acknowledged it: run as a service (sandboxed systemd
unit, /etc/gw-agent/agent.ini) or on the lines of a file or of standard
input; it enrolls for its certificate and renews it.")
set(CPACK_DEBIAN_GW-MGMT_DESCRIPTION
"management-server endpoint for gatewayd
gw-mgmt accepts gateways over mutual TLS and stores each message once
(SQLite, or PostgreSQL shared by several servers), acknowledging only
after the commit; it signs agent enrollments. Includes a sandboxed
systemd unit.")
set(CPACK_DEBIAN_GW-SIGNER_DESCRIPTION
"signing authority process of gatewayd and gw-mgmt
gw-signer is started by gatewayd (enroll mode = local) and gw-mgmt
(enroll ca_dir), never by hand: it alone reads the CA key, checks
enrollment requests again and signs them, so that the processes that
parse agents' and gateways' bytes hold neither the key nor the signing
code.")
include(CPack)
