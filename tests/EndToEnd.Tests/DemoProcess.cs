using System.Diagnostics;
using System.Globalization;
using System.Text;
using PatientStream.Testing;

namespace PatientStream.EndToEnd.Tests;

/// <summary>
/// <c>patientstream demo</c> run as a real process from the test's output folder: every output line is kept, and a
/// test awaits the line it needs (a signal, not a poll). Disposing stops it with SIGTERM and kills it if it hangs.
/// </summary>
internal sealed class DemoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly Lock _lock = new();

    private DemoProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public int Pid => _process.Id;

    public Task Exited => _process.WaitForExitAsync();

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static DemoProcess Start(string dataDirectory, params string[] arguments)
    {
        RequiredBinary.Find("mosquitto", "mosquitto");
        RequiredBinary.Find("influxd", "influxdb");
        var dll = Path.Combine(AppContext.BaseDirectory, "patientstream.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[dll, "demo", "--data-dir", dataDirectory, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var demo = new DemoProcess(process, dataDirectory);
        process.OutputDataReceived += (_, e) => demo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => demo.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return demo;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Found.TrySetResult(line);
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>The first line (already printed or still to come) that matches; fails with the whole output at the deadline or when the demo exits.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan deadline, string what)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_lines.FirstOrDefault(match) is { } seen)
            {
                return seen;
            }
            _waiters.Add((match, found));
        }
        var exited = Exited;
        try
        {
            var first = await Task.WhenAny(found.Task, exited).WaitAsync(deadline);
            if (first == exited && !found.Task.IsCompleted)
            {
                throw new InvalidOperationException($"the demo exited (code {_process.ExitCode}) before {what}:\n{Output}");
            }
            return await found.Task;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no line for {what} within {deadline.TotalSeconds:0} s:\n{Output}");
        }
    }

    public Task<string> WaitForLineAsync(string prefix, TimeSpan deadline) =>
        WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), deadline, $"'{prefix}'");

    /// <summary>Pid of a supervised child, from the pid file the demo keeps for it.</summary>
    public int ChildPid(string child) =>
        int.Parse(File.ReadAllText(Path.Combine(DataDirectory, "pids", child + ".pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Pids of live processes whose command line names the demo's data folder (its children).</summary>
    public IReadOnlyList<int> ProcessesUsingDataDirectory()
    {
        var pids = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var commandLine = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(folder, "cmdline")));
                if (commandLine.Contains(DataDirectory, StringComparison.Ordinal) && !IsZombie(folder))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited while we looked
            }
        }
        return pids;
    }

    private static bool IsZombie(string folder)
    {
        var stat = File.ReadAllText(Path.Combine(folder, "stat"));
        var afterName = stat.LastIndexOf(')');
        return afterName > 0 && stat.Length > afterName + 2 && stat[afterName + 2] == 'Z';
    }

    /// <summary>SIGTERM, as a user's Ctrl-C or a service manager would stop it; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        if (!_process.HasExited)
        {
            ServerProcess.SendSignal(_process.Id, Signals.Term);
        }
        await Exited.WaitAsync(deadline);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            ServerProcess.SendSignal(_process.Id, Signals.Term);
            try
            {
                await Exited.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
