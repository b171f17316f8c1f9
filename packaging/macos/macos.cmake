# macOS: Tollgate.app with its Info.plist; macdeployqt puts the Qt frameworks and plugins into the bundle when it is
# installed (CPack's staging step), then a DragNDrop disk image with the bundle and a link to /Applications.
set_target_properties(tollgate PROPERTIES
    OUTPUT_NAME Tollgate
    MACOSX_BUNDLE_INFO_PLIST ${CMAKE_CURRENT_LIST_DIR}/Info.plist.in
    MACOSX_BUNDLE_GUI_IDENTIFIER io.tollgate.Tollgate
    MACOSX_BUNDLE_BUNDLE_NAME Tollgate
    MACOSX_BUNDLE_BUNDLE_VERSION ${PROJECT_VERSION}
    MACOSX_BUNDLE_SHORT_VERSION_STRING ${PROJECT_VERSION}
    MACOSX_BUNDLE_ICON_FILE tollgate.icns)
# The icon (made from resources/icons/io.tollgate.Tollgate.svg) goes into the bundle's Resources.
target_sources(tollgate PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tollgate.icns)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/tollgate.icns PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
install(TARGETS tollgate BUNDLE DESTINATION .)
qt_generate_deploy_app_script(TARGET tollgate OUTPUT_SCRIPT tollgate_deploy_script NO_UNSUPPORTED_PLATFORM_ERROR)
install(SCRIPT ${tollgate_deploy_script})

set(CPACK_GENERATOR "DragNDrop")
set(CPACK_DMG_VOLUME_NAME "Tollgate")
set(CPACK_DMG_FORMAT "UDZO")
