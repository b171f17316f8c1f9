# Linux: the binary, the desktop entry and AppStream metainfo, hicolor icons, and a systemd unit for servers.
install(TARGETS tollgate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/io.tollgate.Tollgate.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/io.tollgate.Tollgate.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/io.tollgate.Tollgate.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/io.tollgate.Tollgate-running.svg
              ${PROJECT_SOURCE_DIR}/resources/icons/io.tollgate.Tollgate-stopped.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/status)
# The unit goes where systemd looks for a package's units (/lib/systemd/system with prefix /usr on Debian).
install(FILES ${CMAKE_CURRENT_LIST_DIR}/tollgate.service DESTINATION lib/systemd/system)

set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Plugins are loaded at run time, so dpkg-shlibdeps cannot see them: SQLite storage, the X11 platform plugin,
# the SVG icons.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, qt6-qpa-plugins, libqt6svg6")
# libsecret: QtKeychain reaches the desktop's Secret Service (GNOME Keyring, KeePassXC) through it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libqt6sql6-psql, qt6-translations-l10n, hicolor-icon-theme, libsecret-1-0")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${PROJECT_DESCRIPTION}
 Tollgate manages who in an organisation may use which large language models
 and how much they may spend. Every request goes through its built-in gateway,
 which enforces the limits exactly, forwards the request to the provider and
 records its cost. Run the console from the desktop (tray), or the gateway alone
 on a server with `systemctl enable --now tollgate`.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
