-- The host executable build/bin/unixipc: lua5.4's options, arg table and exit
-- status, unixipc built in, and the REPL (piped, and on a real terminal
-- through tmux). Always the binary of this tree, whichever interpreter runs
-- the suite; every command is bounded by timeout(1).
local support = require "support"

local q = support.shell_quote
local top = os.getenv("PWD") or "."
local host = top .. "/build/bin/unixipc"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

--- Run the host with `args` (already shell words). opts: stdin (text piped
-- in, else /dev/null), env (shell words before the command, e.g. "A=1"),
-- wrap (a command the host runs under, e.g. "env -i"), cwd.
-- Returns stdout, the exit code (or signal) and stderr.
local function run(args, opts)
  opts = opts or {}
  local errfile = support.tmpname(".err")
  local cmd = string.format("cd %s && %s timeout 20 %s %s %s 2>%s", q(opts.cwd or top),
    opts.env or "", opts.wrap or "", q(host), args, q(errfile))
  if opts.stdin then
    cmd = string.format("printf %%s %s | (%s)", q(opts.stdin), cmd)
  else
    cmd = cmd .. " </dev/null"
  end
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code, slurp(errfile)
end

describe("the host executable", function()
  after_each(support.cleanup)

  it("is built", function()
    assert.is_true(os.execute("test -x " .. q(host)) == true)
  end)

  describe("options", function()
    it("-v prints the unixipc and Lua versions and exits", function()
      local out, code = run("-v")
      assert.equal(0, code)
      assert.matches("^unixipc %d+%.%d+%.%d+ %(Lua 5%.4%.%d+%)", out)
      assert.equal(1, select(2, out:gsub("\n", "")))
    end)

    it("-e runs a statement, several in order", function()
      local out, code = run("-e 'x = 20' -e 'print(x + 22)'")
      assert.equal(0, code)
      assert.equal("42\n", out)
    end)

    it("-e joined to its argument works too", function()
      assert.equal("ok\n", (run("'-eprint(\"ok\")'")))
    end)

    it("-l mod and -l g=mod require into globals", function()
      local dir = support.tmpname()
      local mod = dir .. "/hostspecmod.lua"
      assert.is_true(os.execute("mkdir " .. q(dir)) == true)
      write_file(mod, "return { answer = 42 }\n")
      local env = "LUA_PATH=" .. q(dir .. "/?.lua;;")
      local out, code = run("-l hostspecmod -e 'print(hostspecmod.answer)'", { env = env })
      local out2 = run("-l m=hostspecmod -e 'print(m.answer, hostspecmod)'", { env = env })
      local out3 = run("-l s=string -e 'print(s == string)'")
      os.remove(mod)
      assert.equal(0, code)
      assert.equal("42\n", out)
      assert.equal("42\tnil\n", out2)
      assert.equal("true\n", out3)
    end)

    it("-W turns warnings on; they are off without it", function()
      local _, code, err = run("-W -e 'warn(\"careful\")'")
      assert.equal(0, code)
      assert.matches("Lua warning: careful", err)
      local _, _, err2 = run("-e 'warn(\"careful\")'")
      assert.equal("", err2)
    end)

    it("an unknown option prints the usage and exits 1", function()
      local out, code, err = run("-x")
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("unixipc: unrecognized option '%-x'", err)
      assert.matches("usage: unixipc", err)
    end)

    it("-e without its argument is an error", function()
      local _, code, err = run("-e")
      assert.equal(1, code)
      assert.matches("'%-e' needs argument", err)
    end)
  end)

  describe("scripts and the arg table", function()
    it("passes the arguments as ... and builds arg like lua5.4", function()
      local script = support.tmpname(".lua")
      write_file(script, [[
        print(select("#", ...), ...)
        for i = -3, #arg do io.write(i, "=", tostring(arg[i]), " ") end
        print()
      ]])
      local out, code = run("-e 'x=1' " .. q(script) .. " a 'b c'")
      assert.equal(0, code)
      local count, rest = out:match("^(%d+)\t(.-)\n")
      assert.equal("2", count)
      assert.equal("a\tb c", rest)
      assert.matches(" %-3=" .. host:gsub("%p", "%%%0") .. " ", " " .. out:match("\n(.*)"))
      assert.matches("%-2=%-e %-1=x=1 0=" .. script:gsub("%p", "%%%0") .. " 1=a 2=b c ", out)
    end)

    it("without a script puts the interpreter at arg[0] and the options after", function()
      local out = run("-e 'print(arg[0], arg[1], #arg, arg[-1])'")
      assert.equal(host .. "\t-e\t2\tnil\n", out)
    end)

    it("'-' reads the script from standard input, with arguments", function()
      local out, code = run("- one two", { stdin = "print(arg[0], ...)" })
      assert.equal(0, code)
      assert.equal("-\tone\ttwo\n", out)
    end)

    it("'--' ends the options: a script named '-x' still runs", function()
      local script = support.tmpname(".lua")
      write_file(script, "print('after --', ...)")
      local out, code = run("-- " .. q(script) .. " -x")
      assert.equal(0, code)
      assert.equal("after --\t-x\n", out)
    end)

    it("runs standard input when it is not a terminal and nothing else is asked", function()
      local out, code = run("", { stdin = "print(40 + 2)" })
      assert.equal(0, code)
      assert.equal("42\n", out)
    end)
  end)

  describe("exit status", function()
    it("is the status given to os.exit", function()
      local _, code = run("-e 'os.exit(3)'")
      assert.equal(3, code)
    end)

    it("os.exit(true) is 0 and os.exit(false) is 1", function()
      assert.equal(0, select(2, run("-e 'os.exit(true)'")))
      assert.equal(1, select(2, run("-e 'os.exit(false)'")))
    end)

    it("is 1 after an error, with 'unixipc:', the message and a traceback", function()
      local out, code, err = run("-e 'print(\"before\")' -e 'error(\"boom\")' -e 'print(\"after\")'")
      assert.equal(1, code)
      assert.equal("before\n", out)
      assert.matches("^unixipc: %(command line%):1: boom\nstack traceback:", err)
    end)

    it("is 1 for a script that raises, a syntax error or a missing file", function()
      local script = support.tmpname(".lua")
      write_file(script, "local t = {}\nerror(t)\n")
      local _, code, err = run(q(script))
      assert.equal(1, code)
      assert.matches("unixipc: %(error object is a table value%)", err)
      write_file(script, "x = = 1")
      _, code, err = run(q(script))
      assert.equal(1, code)
      assert.matches("unixipc: .*unexpected symbol", err)
      _, code, err = run(q(script .. ".missing"))
      assert.equal(1, code)
      assert.matches("unixipc: cannot open", err)
    end)

    it("is 1 when standard input as a script raises", function()
      local _, code, err = run("", { stdin = "error('from stdin')" })
      assert.equal(1, code)
      assert.matches("unixipc: stdin:1: from stdin", err)
    end)

    it("is 0 at the end of a script", function()
      assert.equal(0, select(2, run("-e 'local x = 1'")))
    end)
  end)

  describe("unixipc built in", function()
    it("sets the global ipc to require 'unixipc', from any directory, with no environment", function()
      local out, code, err = run([[-e 'print(type(ipc), require("unixipc") == ipc,]]
        .. [[ type(package.loaded["unixipc.core"]), type(ipc.getpid()))']],
        { wrap = "env -i", cwd = "/" })
      assert.equal("", err)
      assert.equal(0, code)
      assert.equal("table\ttrue\ttable\tnumber\n", out)
    end)

    it("loads its Lua front from inside the executable, not from LUA_PATH", function()
      local out = run([[-e 'print(package.searchpath("unixipc", package.path))']],
        { env = "LUA_PATH=/nonexistent/?.lua LUA_CPATH=/nonexistent/?.so", cwd = "/" })
      assert.matches("^nil", out)
      local out2, code = run("-e 'print(ipc == require \"unixipc\")'",
        { env = "LUA_PATH=/nonexistent/?.lua LUA_CPATH=/nonexistent/?.so", cwd = "/" })
      assert.equal(0, code)
      assert.equal("true\n", out2)
    end)
  end)

  describe("LUA_INIT", function()
    it("runs before the options, with ipc already there", function()
      local out, code = run("-e 'print(\"main\")'", { env = [[LUA_INIT='print("init", type(ipc))']] })
      assert.equal(0, code)
      assert.equal("init\ttable\nmain\n", out)
    end)

    it("LUA_INIT_5_4 wins over LUA_INIT, and @file runs a file", function()
      local file = support.tmpname(".lua")
      write_file(file, "print('from file')")
      local out = run("-e ''", { env = "LUA_INIT='print(1)' LUA_INIT_5_4=" .. q("@" .. file) })
      assert.equal("from file\n", out)
    end)

    it("an error in it ends the run with 1", function()
      local out, code, err = run("-e 'print(\"main\")'", { env = "LUA_INIT='error(\"bad init\")'" })
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("unixipc: LUA_INIT:1: bad init", err)
    end)

    it("-E ignores LUA_INIT and LUA_PATH", function()
      local out, code = run("-E -e 'print(\"main\", package.path:find(\"/nonexistent\"))'",
        { env = "LUA_INIT='print(\"init\")' LUA_PATH='/nonexistent/?.lua'" })
      assert.equal(0, code)
      assert.equal("main\tnil\n", out)
    end)
  end)

  describe("SIGINT while a chunk runs", function()
    -- SIGINT is sent by timeout(1) after a second; a second timeout kills a
    -- host that would not stop.
    local sigint = "timeout -k 5 --preserve-status -s INT 1"

    -- Started from a background job of a non-interactive shell, SIGINT is
    -- ignored: nothing to test then.
    local function sigint_ignored()
      return (run("-e 'io.write(tostring(ipc.SIG.INT))'")) == "IGNORE"
    end

    it("raises 'interrupted!': status 1, in the first chunk and in later ones", function()
      if sigint_ignored() then return pending("SIGINT is ignored here") end
      local _, code, err = run("-e 'while true do end'", { wrap = sigint })
      assert.equal(1, code)
      assert.matches("^unixipc: interrupted!\nstack traceback:", err)
      local out, code2, err2 = run("-e 'x = 1' -e 'print(x)' -e 'while true do end'", { wrap = sigint })
      assert.equal(1, code2)
      assert.equal("1\n", out)
      assert.matches("^unixipc: interrupted!", err2)
    end)

    it("goes to the script's own ipc.SIG.INT handler instead", function()
      if sigint_ignored() then return pending("SIGINT is ignored here") end
      local out, code, err = run([[-e 'ipc.SIG.INT = function(name) print("handler", name) os.exit(5) end']]
        .. [[ -e 'while true do end']], { wrap = sigint })
      assert.equal("", err)
      assert.equal(5, code)
      assert.equal("handler\tINT\n", out)
    end)
  end)

  describe("REPL on piped input (-i)", function()
    it("prints the values of expressions, tab-separated, and no prompts", function()
      local out, code = run("-i", { stdin = "1+1\nreturn 'a', nil, 3\n=10*10\nx = 5\nx\n" })
      assert.equal(0, code)
      local lines = {}
      for l in out:gmatch("[^\n]*") do if l ~= "" then lines[#lines + 1] = l end end
      assert.matches("^unixipc %d", lines[1]) -- -i shows the banner, as lua5.4 does
      assert.same({ "2", "a\tnil\t3", "100", "5" }, { table.unpack(lines, 2) })
      assert.is_nil(out:find("> ", 1, true))
    end)

    it("uses __tostring and __name for results", function()
      local out = run("-i", { stdin = "setmetatable({}, {__tostring = function() return 'T!' end})\n" })
      assert.matches("\nT!\n", out)
    end)

    it("continues an incomplete chunk on the next lines", function()
      local out, code = run("-i", { stdin = "for i = 1, 3 do\n  io.write(i * 11, ' ')\nend\nprint('|')\n" })
      assert.equal(0, code)
      assert.matches("\n11 22 33 |\n", out)
    end)

    it("reports an error and goes on", function()
      local out, code, err = run("-i", { stdin = "error('oops')\nprint('still here')\n" })
      assert.equal(0, code)
      assert.matches("stdin:1: oops", err)
      assert.is_nil(err:find("unixipc: stdin", 1, true)) -- no program name in the REPL
      assert.matches("still here", out)
    end)

    it("runs the script first, then reads the REPL", function()
      local script = support.tmpname(".lua")
      write_file(script, "greeting = 'hi'")
      local out, code = run("-i " .. q(script), { stdin = "greeting .. '!'\n" })
      assert.equal(0, code)
      assert.matches("\nhi!\n", out)
    end)

    it("ends with status 0 at end of input, or os.exit's", function()
      assert.equal(0, select(2, run("-i", { stdin = "" })))
      assert.equal(7, select(2, run("-i", { stdin = "os.exit(7)\nprint('not reached')\n" })))
    end)
  end)

  describe("REPL on a terminal (tmux)", function()
    local has_tmux = os.execute("command -v tmux >/dev/null 2>&1") == true
    -- Built with readline or libedit (make picks one when its headers are
    -- there; make deps installs readline). Without, the REPL reads plain lines.
    local editing = os.execute("ldd " .. q(host) .. " | grep -Eq 'lib(readline|edit)'") == true

    -- A tmux server of our own, no user configuration. Its socket is a
    -- unique temporary path (pid + random, like -L with a unique name, so
    -- parallel runs never meet) that support.cleanup removes afterwards.
    local function tmux_session(home, args)
      local socket = support.tmpname(".tmux")
      local t = {}
      local function tmux(cmd)
        return os.execute(string.format("timeout 20 tmux -f /dev/null -S %s %s", q(socket), cmd))
      end
      local function tmux_output(cmd)
        local p = io.popen(string.format("timeout 20 tmux -S %s %s 2>/dev/null", q(socket), cmd))
        local out = p:read("a")
        p:close()
        return out
      end
      -- A shell runs the host and then shows its exit status. Its trap keeps
      -- it alive through the SIGINTs meant for the host (a trapped signal is
      -- reset to the default action in the host, unlike an ignored one).
      local script = 'trap : INT; "$@"; echo "EXITED $?"; sleep 60'
      local command = string.format("sh -c %s sh env HOME=%s %s %s", q(script), q(home),
        q(host), args or "")
      assert.is_true(tmux("new-session -d -x 120 -y 40 " .. q(command)) == true)

      function t.keys(k) tmux("send-keys " .. k) end
      function t.text(s) tmux("send-keys -l " .. q(s)) end
      function t.screen() return tmux_output("capture-pane -p") end
      function t.kill() tmux("kill-server 2>/dev/null") end

      -- The screen's lines, trailing blanks removed.
      function t.lines()
        local lines = {}
        for l in t.screen():gmatch("[^\n]*") do lines[#lines + 1] = (l:gsub("%s+$", "")) end
        while lines[#lines] == "" do lines[#lines] = nil end
        return lines
      end
      -- How many lines of the screen are exactly `line`.
      function t.count(line)
        local n = 0
        for _, l in ipairs(t.lines()) do if l == line then n = n + 1 end end
        return n
      end
      -- Wait (bounded) until `line` is on the screen `n` times (default 1).
      function t.wait_line(line, n)
        return support.wait_until(function() return t.count(line) >= (n or 1) end, 10)
      end
      function t.wait_text(s)
        return support.wait_until(function() return t.screen():find(s, 1, true) ~= nil end, 10)
      end
      -- Wait until the last line is an empty prompt (">", ">>", "lua>"); returns it.
      function t.wait_prompt()
        return support.wait_until(function()
          local lines = t.lines()
          local last = lines[#lines] or ""
          return last:match("^%w*>>?$") and last
        end, 10)
      end
      -- Type a line at the prompt. Waiting for the prompt first means nothing
      -- is typed ahead, which the terminal would echo before the prompt shows;
      -- waiting for the echo means the line was read.
      function t.line(s)
        local prompt = t.wait_prompt()
        if not prompt then error("no prompt; the screen was:\n" .. t.screen(), 2) end
        local echo = s == "" and prompt or prompt .. " " .. s
        local seen = t.count(echo)
        t.text(s)
        t.keys("Enter")
        if not t.wait_line(echo, seen + 1) then
          error("the line '" .. s .. "' was not echoed; the screen was:\n" .. t.screen(), 2)
        end
      end
      -- The host's exit status once it has exited, else nil.
      function t.exit_status()
        return tonumber(t.screen():match("EXITED (%d+)"))
      end
      function t.wait_exit() return support.wait_until(t.exit_status, 10) end
      return t
    end

    local function check(ok, t, what)
      if not ok then error(what .. " did not appear; the screen was:\n" .. t.screen(), 2) end
    end

    it("edits lines, keeps history, handles Control-C and exits on Control-D", function()
      if not has_tmux then return pending("tmux is not installed (make deps)") end
      local home = support.tmpname()
      assert.is_true(os.execute("mkdir " .. q(home)) == true)
      local history = home .. "/.unixipc_history"
      local t = tmux_session(home)
      finally(function()
        t.kill()
        os.remove(history)
        os.remove(home)
      end)

      check(t.wait_text("(Lua 5.4"), t, "the banner")
      assert.matches("^unixipc %d+%.%d+%.%d+ %(Lua 5%.4%.%d+%)  Copyright", t.screen())
      check(t.wait_prompt() == ">", t, "the prompt")

      t.line("1+1")
      check(t.wait_line("2"), t, "the value of 1+1")

      -- multi-line input, with the continuation prompt
      t.line("for i = 1, 3 do")
      check(t.wait_prompt() == ">>", t, "the continuation prompt")
      t.line("  total = (total or 0) + i * 100")
      t.line("end")
      t.line("total")
      check(t.wait_line("600"), t, "the result of the multi-line loop")

      -- Up recalls the previous line; Enter runs it again
      t.line("6*7")
      check(t.wait_line("42"), t, "6*7")
      if editing then
        check(t.wait_prompt(), t, "the prompt")
        t.keys("Up")
        check(t.wait_line("> 6*7", 2), t, "the recalled line")
        t.keys("Enter")
        check(t.wait_line("42", 2), t, "the recalled line's value")
      end

      -- Control-C interrupts a running chunk; the REPL stays alive
      t.line("while true do end")
      os.execute("sleep 0.3") -- let it spin
      t.keys("C-c")
      check(t.wait_text("interrupted!"), t, "interrupted!")
      t.line("2+2")
      check(t.wait_line("4"), t, "the REPL answering after the interrupt")

      -- Control-C at the prompt drops the typed text
      check(t.wait_prompt(), t, "the prompt")
      t.text("abc")
      check(t.wait_text("> abc"), t, "the typed text")
      t.keys("C-c")
      t.line("3+3")
      check(t.wait_line("6"), t, "3+3 after Control-C at the prompt")
      assert.is_nil(t.screen():find("abc3", 1, true))

      -- ...and drops an unfinished multi-line chunk
      t.line("for i = 1, 2 do")
      check(t.wait_prompt() == ">>", t, "the continuation prompt")
      t.keys("C-c")
      t.line("5+5")
      check(t.wait_line("10"), t, "5+5 after dropping the unfinished loop")

      -- _PROMPT changes the prompt
      t.line('_PROMPT = "lua> "')
      check(t.wait_prompt() == "lua>", t, "the new prompt")

      -- Control-D exits with status 0
      t.keys("C-d")
      check(t.wait_exit() == 0, t, "exit status 0")

      -- the history file has the chunks but not the dropped text (libedit
      -- writes octal escapes: decode them)
      local saved = slurp(history):gsub("\\(%d%d%d)", function(o)
        return string.char(tonumber(o, 8))
      end)
      if editing then
        assert.matches("6%*7", saved)
        assert.matches("for i = 1, 3 do\n  total = %(total or 0%) %+ i %* 100\nend", saved)
      end
      assert.is_nil(saved:find("abc", 1, true))
    end)

    it("recalls the history of an earlier session, but not with -E", function()
      if not has_tmux then return pending("tmux is not installed (make deps)") end
      if not editing then return pending("built without readline or libedit") end
      local home = support.tmpname()
      assert.is_true(os.execute("mkdir " .. q(home)) == true)
      local history = home .. "/.unixipc_history"
      write_file(history, "")
      local sessions = {}
      finally(function()
        for _, t in ipairs(sessions) do t.kill() end
        os.remove(history)
        os.remove(home)
      end)

      local t = tmux_session(home)
      sessions[1] = t
      t.line("for i = 1, 2 do")
      t.line("  acc = (acc or 0) + i * 1000")
      t.line("end")
      t.line("100+23")
      check(t.wait_line("123"), t, "100+23")
      check(t.wait_prompt(), t, "the prompt")
      t.keys("C-d")
      check(t.wait_exit() == 0, t, "exit status 0")

      local t2 = tmux_session(home)
      sessions[2] = t2
      check(t2.wait_prompt(), t2, "the prompt")
      t2.keys("Up")
      check(t2.wait_line("> 100+23"), t2, "the line from the earlier session")
      -- the entry before it is the multi-line loop, which comes back whole
      t2.keys("Up")
      t2.keys("Enter")
      t2.line("acc")
      check(t2.wait_line("3000"), t2, "the recalled loop's result")
      check(t2.wait_prompt(), t2, "the prompt")
      t2.keys("C-d")
      check(t2.wait_exit() == 0, t2, "exit status 0")

      local t3 = tmux_session(home, "-E")
      sessions[3] = t3
      check(t3.wait_prompt(), t3, "the prompt")
      t3.keys("Up")
      t3.line("") -- nothing to recall: an empty line, and a new prompt
      assert.equal(0, t3.count("> 100+23"))
      t3.keys("C-d")
      check(t3.wait_exit() == 0, t3, "exit status 0")
    end)
  end)
end)
