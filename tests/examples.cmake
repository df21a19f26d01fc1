# The deployment recipes of examples/, each run end to end by its own script,
# in a bounded, shorter form than the full runs whose figures are in
# docs/deploy.md. .ci/install-deps installs what they need; a build without
# it registers only the ones it can run.

# HAProxy in front of three `insource serve` instances: a rolling policy change
# and a restart under wrk load, with zero failed requests.
find_program(INSOURCE_HAPROXY haproxy)
find_program(INSOURCE_WRK wrk)
if(INSOURCE_HAPROXY AND INSOURCE_WRK)
  add_test(NAME example_haproxy_rolling_reload
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/examples/haproxy/roll_test.py
                   --insource $<TARGET_FILE:insource> --rules ${PROJECT_SOURCE_DIR}/rules/default.yaml
                   --seconds 12 --connections 4)
  # It listens on loopback ports and keeps wrk busy: not beside other heavy tests.
  set_tests_properties(example_haproxy_rolling_reload PROPERTIES TIMEOUT 90 RUN_SERIAL ON)
endif()

# Dask distributed: a scheduler and two workers as separate processes, a
# corpus decided partition by partition with the Python package, one worker
# killed in mid-partition; the records must equal one `insource batch` run.
find_program(INSOURCE_DASK dask)
if(TARGET insource_python AND INSOURCE_DASK)
  add_test(NAME example_dask_batch
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/examples/dask/run_test.py
                   --insource $<TARGET_FILE:insource> --pythonpath ${PROJECT_BINARY_DIR}/python
                   --cases 20000 --partition-bytes 200000 --workers 2 --kill)
  set_tests_properties(example_dask_batch PROPERTIES TIMEOUT 240 RUN_SERIAL ON)
endif()
