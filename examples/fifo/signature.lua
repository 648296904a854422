-- R09 — perlipc "Named Pipes": a .signature that is a FIFO with a program
-- on the other end, so every reader gets a fresh signature.
--
--   chdir();    # go home
--   my $FIFO = ".signature";
--   while (1) {
--       unless (-p $FIFO) {
--           unlink $FIFO;   # discard any failure, will catch later
--           require POSIX;  # delayed loading of heavy module
--           POSIX::mkfifo($FIFO, 0700)
--                                 || die "can't mkfifo $FIFO: $!";
--       }
--       # next line blocks till there's a reader
--       open (my $fh, ">", $FIFO) || die "can't open $FIFO: $!";
--       print $fh "John Smith (smith\@host.org)\n", `fortune -s`;
--       close($fh)                || die "can't close $FIFO: $!";
--       sleep 2;                # to avoid dup signals
--   }
--
-- The path is an argument rather than ~/.signature; COUNT ends the loop
-- after that many readers. The FIFO stays, as the Perl one does.
-- Usage: unixipc examples/fifo/signature.lua [PATH=./.signature] [COUNT]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require("recipe")

local USAGE = "unixipc examples/fifo/signature.lua [PATH=./.signature] [COUNT]"
if #arg > 2 or arg[1] == "" then recipe.usage(USAGE) end
local FIFO = arg[1] or "./.signature"
local count = recipe.number(2, nil, USAGE)   -- nil: forever

local function die(...)
  recipe.die(arg[0], ": ", ...)
end

-- `fortune -s`, or a saying of our own where fortune is not installed.
local function fortune()
  for _, prog in ipairs({ "fortune", "/usr/games/fortune" }) do
    local out, how, code = ipc.capture(prog, "-s")
    if out and how == "exit" and code == 0 then return out end
  end
  return "A named pipe is a file that answers back.\n"
end

local served = 0
while count == nil or served < count do
  if ipc.filetype(FIFO) ~= "fifo" then
    os.remove(FIFO)   -- discard any failure, mkfifo will report it
    local ok, msg = ipc.mkfifo(FIFO, tonumber("700", 8))
    if not ok then die("can't mkfifo ", FIFO, ": ", msg) end
  end

  -- next line blocks till there's a reader
  local fh, msg = ipc.open_fifo(FIFO, "w")
  if not fh then die("can't open ", FIFO, ": ", msg) end
  local ok, werr = fh:write("John Smith (smith@host.org)\n", fortune())
  if not ok then die("can't write ", FIFO, ": ", werr) end
  fh:close()
  served = served + 1

  -- Give the reader time to close its end: opening again at once would
  -- hand the same reader a second signature.
  if served ~= count then ipc.sleep(2) end
end
