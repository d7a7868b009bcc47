# install_conf.cmake: run by `cmake --install` and by CPack (install(CODE)
# in cmake/package.cmake), so that paths follow the prefix of the install,
# not of the configure: `--prefix` and CPack's /usr both work on one build.
# Input: GW_SRC (source dir), GW_BIN (a scratch dir), GW_NAME (gatewayd,
# gw-mgmt or gw-agent), GW_CONF (gateway.ini, mgmt.ini or agent.ini), and the GNUInstallDirs
# BINDIR, SYSCONFDIR and DOCDIR as configured (relative or absolute).
#
# It installs
#   SYSCONFDIR/NAME/CONF     conf/CONF, with the paths its systemd unit
#                            needs (ProtectSystem=strict: only
#                            /var/lib/NAME is writable); an existing file
#                            is kept (it is the operator's)
#   UNITDIR/NAME.service     conf/NAME.service, its paths for this prefix
# SYSCONFDIR is /etc for the prefix /usr (as GNUInstallDirs has it), else
# PREFIX/etc; UNITDIR is /lib/systemd/system for /usr (Debian 12), else
# PREFIX/lib/systemd/system (systemd reads /usr/local/lib/systemd/system).

cmake_policy(VERSION 3.25)	# this file's own scope (include pushes one)
set(prefix "${CMAKE_INSTALL_PREFIX}")
foreach(d BINDIR SYSCONFDIR DOCDIR)
  if(IS_ABSOLUTE "${GW_${d}}")
    set(${d} "${GW_${d}}")
  elseif(d STREQUAL "SYSCONFDIR" AND prefix STREQUAL "/usr")
    set(${d} "/${GW_${d}}")
  else()
    set(${d} "${prefix}/${GW_${d}}")
  endif()
endforeach()
if(prefix STREQUAL "/usr")
  set(UNITDIR /lib/systemd/system)
else()
  set(UNITDIR "${prefix}/lib/systemd/system")
endif()

# Replace the line of key ${key} (exactly one) in ${text} by ${line}.
function(gw_set_line var key line)
  string(REGEX MATCHALL "\n${key} = [^\n]*" found "${${var}}")
  list(LENGTH found n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "conf/${GW_CONF}: ${n} lines '${key} = ...', "
            "want 1 (cmake/install_conf.cmake sets it for the package)")
  endif()
  string(REGEX REPLACE "\n${key} = [^\n]*" "\n${line}" out "${${var}}")
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

file(READ "${GW_SRC}/conf/${GW_CONF}" conf)
if(GW_NAME STREQUAL "gatewayd")
  gw_set_line(conf ticket_keys "ticket_keys = /var/lib/gatewayd/ticket.keys")
elseif(GW_NAME STREQUAL "gw-agent")
  gw_set_line(conf state "state = /var/lib/gw-agent/state")
else()
  gw_set_line(conf database "database = /var/lib/gw-mgmt/gw-mgmt.db")
  # The signing authority writes in its CA directory: off until the
  # operator puts one where gw-mgmt may write.
  gw_set_line(conf ca_dir ";ca_dir = /var/lib/gw-mgmt/pki")
endif()

file(READ "${GW_SRC}/conf/${GW_NAME}.service" unit)
string(REPLACE "/usr/local/bin/" "${BINDIR}/" unit "${unit}")
string(REPLACE "/etc/${GW_NAME}" "${SYSCONFDIR}/${GW_NAME}" unit "${unit}")
string(REPLACE "file:///usr/local/share/doc/gatewayd/" "file://${DOCDIR}/"
       unit "${unit}")

file(MAKE_DIRECTORY "${GW_BIN}")
file(WRITE "${GW_BIN}/${GW_CONF}" "${conf}")
file(WRITE "${GW_BIN}/${GW_NAME}.service" "${unit}")
if(EXISTS "$ENV{DESTDIR}${SYSCONFDIR}/${GW_NAME}/${GW_CONF}")
  message(STATUS "Kept: $ENV{DESTDIR}${SYSCONFDIR}/${GW_NAME}/${GW_CONF} "
          "(exists; the new sample is ${GW_BIN}/${GW_CONF})")
else()
  file(INSTALL "${GW_BIN}/${GW_CONF}"
       DESTINATION "${SYSCONFDIR}/${GW_NAME}" FILE_PERMISSIONS
       OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
file(INSTALL "${GW_BIN}/${GW_NAME}.service" DESTINATION "${UNITDIR}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
