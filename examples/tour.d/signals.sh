# The tour's checks of the signal recipes (sourced by examples/tour.sh).
tour_R01() {
  run signals/catch_zap.lua
  local shown=$OUT
  expect_exit 0 && expect '^caught: .*Somebody sent me a SIGINT$' &&
    expect '^shucks = 1$' || return 1
  expect_usage signals/catch_zap.lua extra || return 1
  OUT=$shown
}

tour_R02() {
  run signals/signames.lua
  local shown=$OUT
  local names
  names=$(bash -c 'kill -l' | tr -s ' \t' '\n\n' | sed -n 's/^SIG//p' | tr '\n' ' ' | sed 's/ $//')
  expect_exit 0 && expect "^${names//+/\\+}\$" && expect '^signal #17 = CHLD$' &&
    expect '^SIGALRM is 14$' || return 1
  expect_usage signals/signames.lua extra || return 1
  OUT=$shown
}

tour_R08() {
  run signals/deferred.lua
  local shown=$OUT
  expect_exit 0 &&
    expect '^   handler 3: got SIGUSR1 from the child$' &&
    expect '^   read completed: "hello from the child"$' &&
    expect 'the handler ran 3 times during the read; EINTR never reached Lua$' &&
    expect "the read ended with the handler's error: alarm clock restart$" &&
    expect 'the handler ran between two instructions of the loop and ended it$' || return 1
  expect_usage signals/deferred.lua extra || return 1
  OUT=$shown
}

