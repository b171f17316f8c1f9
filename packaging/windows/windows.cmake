# Windows: an NSIS installer with a Start-menu entry and an uninstaller; windeployqt copies Qt's DLLs, plugins
# and translations next to tollgate.exe when the installer is built (at install time of the CPack staging step).
install(TARGETS tollgate RUNTIME DESTINATION .)
qt_generate_deploy_app_script(TARGET tollgate OUTPUT_SCRIPT tollgate_deploy_script NO_UNSUPPORTED_PLATFORM_ERROR)
install(SCRIPT ${tollgate_deploy_script})
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/io.tollgate.Tollgate.svg DESTINATION icons)

set(CPACK_GENERATOR "NSIS")
set(CPACK_NSIS_PACKAGE_NAME "Tollgate")
set(CPACK_NSIS_DISPLAY_NAME "Tollgate")
# tollgate.ico is made from resources/icons/io.tollgate.Tollgate.svg (16 to 256 pixels).
set(CPACK_NSIS_MUI_ICON "${CMAKE_CURRENT_LIST_DIR}/tollgate.ico")
set(CPACK_NSIS_MUI_UNIICON "${CMAKE_CURRENT_LIST_DIR}/tollgate.ico")
set(CPACK_NSIS_INSTALLED_ICON_NAME "tollgate.exe")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_MODIFY_PATH OFF)
set(CPACK_NSIS_URL_INFO_ABOUT "${PROJECT_HOMEPAGE_URL}")
# Start menu: the console, and the uninstaller.
set(CPACK_PACKAGE_EXECUTABLES "tollgate" "Tollgate")
set(CPACK_NSIS_MENU_LINKS "Uninstall.exe" "Uninstall Tollgate")
# Closing Tollgate before an update or an uninstall: it keeps running in the tray otherwise.
set(CPACK_NSIS_EXTRA_PREINSTALL_COMMANDS "ExecWait 'taskkill /IM tollgate.exe /T'")
set(CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS "ExecWait 'taskkill /IM tollgate.exe /T'
  DeleteRegValue HKCU 'Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run' 'Tollgate'")
