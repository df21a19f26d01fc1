# The HTML report and the explorer.
#
# report_html_numbers: `insource report` and `batch --report` show the numbers
# of `decide --format json` and of the batch records (read back from the HTML).
add_test(NAME report_html_numbers
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/report/check_report.py
                 --insource $<TARGET_FILE:insource> --source ${PROJECT_SOURCE_DIR}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/report_html)

# browser_explorer: the explorer served by `insource serve` and the report
# files in headless chromium (puppeteer-core from tests/browser/package.json;
# `npm ci` there, which .ci/install-deps does). Screenshots in
# <build>/browser-screenshots/.
find_program(INSOURCE_NODE node)
if(INSOURCE_NODE)
  add_test(NAME browser_explorer
           COMMAND ${CMAKE_COMMAND} -E env PUPPETEER_SKIP_DOWNLOAD=1
                   ${INSOURCE_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/explorer.test.mjs ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(browser_explorer PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
endif()
