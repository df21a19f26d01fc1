# The HTML report and the explorer.
#
# report_html_numbers: `insource report` and `batch --report` show the numbers
# of `decide --format json` and of the batch records (read back from the HTML).
add_test(NAME report_html_numbers
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/report/check_report.py
                 --insource $<TARGET_FILE:insource> --source ${PROJECT_SOURCE_DIR}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/report_html)

# browser_explorer: the explorer served by `insource serve` and the report
# files in headless chromium (Debian's, driven by puppeteer-core; axe-core for
# the accessibility audit). browser_npm_packages installs both with `npm ci`
# from tests/browser/package-lock.json into <build>/browser-node first (the
# registry is the only network either test uses). Screenshots and axe-core's
# findings in <build>/browser-screenshots/.
find_program(INSOURCE_NODE node)
find_program(INSOURCE_NPM npm)
find_program(INSOURCE_CHROMIUM NAMES chromium chromium-browser)
if(INSOURCE_NODE AND INSOURCE_NPM AND INSOURCE_CHROMIUM)
  add_test(NAME browser_npm_packages
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/browser/npm_ci.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/browser-node)
  set_tests_properties(browser_npm_packages PROPERTIES FIXTURES_SETUP browser_node TIMEOUT 600)
  add_test(NAME browser_explorer
           COMMAND ${CMAKE_COMMAND} -E env PUPPETEER_SKIP_DOWNLOAD=1 CHROMIUM=${INSOURCE_CHROMIUM}
                   ${INSOURCE_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/explorer.test.mjs ${PROJECT_BINARY_DIR}
                   ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/browser-node)
  set_tests_properties(browser_explorer PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE FIXTURES_REQUIRED browser_node)
else()
  message(WARNING "node, npm or chromium not found: the browser tests are not registered (bash .ci/install-deps installs them)")
endif()
