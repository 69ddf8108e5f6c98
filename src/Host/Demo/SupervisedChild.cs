using System.Diagnostics;
using System.Globalization;

namespace PatientStream.Host.Demo;

/// <summary>What a supervised child is and how the supervisor knows it is up.</summary>
/// <param name="Name">Short name used in messages, the log file (<c>logs/NAME.log</c>) and the pid file (<c>pids/NAME.pid</c>).</param>
/// <param name="ReadyPrefix">The child is up once it prints a line starting with this (null: use <see cref="ReadyProbe"/>, or up at start).</param>
/// <param name="ReadyProbe">Polled until true when the child prints no ready line (e.g. a listening port).</param>
/// <param name="Finite">A finite child (the simulator with a batch limit) is not restarted after a clean exit.</param>
internal sealed record ChildSpec(string Name, string FileName, IReadOnlyList<string> Arguments, string? ReadyPrefix,
    Func<CancellationToken, Task<bool>>? ReadyProbe = null, bool Finite = false);

/// <summary>A child that died and is being restarted, as the supervisor reports it.</summary>
internal sealed record ChildRestart(string Name, int ExitCode, int Restart, TimeSpan Backoff);

/// <summary>Raised when a child cannot be brought up at all (start-up failure, not a later crash).</summary>
internal sealed class DemoStartupException(string message) : Exception(message);

/// <summary>
/// One part of the demo as a real child process: output to <c>logs/NAME.log</c> (lines also passed to a callback),
/// pid in <c>pids/NAME.pid</c>, readiness from a line or a probe. After start-up a child that exits while not being
/// stopped is restarted with a bounded backoff (1 s doubling to 30 s, reset once it stayed up a minute).
/// Stopping sends SIGTERM, waits a grace period, then kills the process tree.
/// </summary>
internal sealed class SupervisedChild : IAsyncDisposable
{
    private const string SetSid = "/usr/bin/setsid";
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stableAfter = TimeSpan.FromMinutes(1);
    private readonly ChildSpec _spec;
    private readonly string _pidFile;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private readonly Lock _launchLock = new();
    private readonly Action<string, string> _onLine;
    private readonly Action<ChildRestart> _onRestart;
    private readonly Action<string, int> _onBack;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _supervision;

    public SupervisedChild(ChildSpec spec, DemoLayout layout, Action<string, string> onLine, Action<ChildRestart> onRestart, Action<string, int> onBack)
    {
        _spec = spec;
        _onLine = onLine;
        _onRestart = onRestart;
        _onBack = onBack;
        _pidFile = layout.PidFile(spec.Name);
        _log = new StreamWriter(new FileStream(layout.LogFile(spec.Name), FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public string Name => _spec.Name;

    /// <summary>Pid of the current incarnation (0 when not running).</summary>
    public int Pid { get; private set; }

    public int Restarts { get; private set; }

    /// <summary>Completes when a finite child has finished its work (clean exit), or when the child is stopped.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Starts the child and waits until it is up; throws <see cref="DemoStartupException"/> when it exits first.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var exited = Launch();
        await WaitReadyAsync(exited, timeout, cancellationToken).ConfigureAwait(false);
        _supervision = SuperviseAsync(exited);
    }

    private Task<int> Launch()
    {
        // In a session of its own (setsid execs in place, so the pid stays the child's): a Ctrl-C in the terminal
        // reaches only the demo, which then stops the parts in order instead of all of them dying at once.
        var isolated = File.Exists(SetSid);
        var info = new ProcessStartInfo(isolated ? SetSid : _spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (isolated)
        {
            info.ArgumentList.Add(_spec.FileName);
        }
        foreach (var argument in _spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ready = ready;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, ready);
        if (!process.Start())
        {
            throw new DemoStartupException($"{_spec.Name}: could not start {_spec.FileName}");
        }
        var previous = _process;
        _process = process;
        previous?.Dispose();
        Pid = process.Id;
        File.WriteAllText(_pidFile, Pid.ToString(CultureInfo.InvariantCulture));
        WriteLog($"--- started pid {Pid}: {_spec.FileName} {string.Join(' ', _spec.Arguments)}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (_spec.ReadyPrefix is null && _spec.ReadyProbe is null)
        {
            ready.TrySetResult();
        }
        return WaitExitAsync(process);
    }

    private static async Task<int> WaitExitAsync(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return process.ExitCode;
    }

    private void OnLine(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }
        WriteLog(line);
        if (_spec.ReadyPrefix is not null && line.StartsWith(_spec.ReadyPrefix, StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
        _onLine(_spec.Name, line);
    }

    private void WriteLog(string line)
    {
        lock (_logLock)
        {
            _log.WriteLine(line);
        }
    }

    private async Task WaitReadyAsync(Task<int> exited, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var ready = _ready.Task;
        var probe = _spec.ReadyProbe is null ? Task.CompletedTask : ProbeAsync(_spec.ReadyProbe, _ready, deadline.Token);
        try
        {
            if (await Task.WhenAny(ready, exited).WaitAsync(deadline.Token).ConfigureAwait(false) == exited)
            {
                throw new DemoStartupException($"{_spec.Name} exited with code {exited.Result} before it was up; its output is in {LogPath}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DemoStartupException($"{_spec.Name} was not up within {timeout.TotalSeconds:0} s; its output is in {LogPath}");
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            await probe.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private string LogPath => ((FileStream)_log.BaseStream).Name;

    private static async Task ProbeAsync(Func<CancellationToken, Task<bool>> probe, TaskCompletionSource ready, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (!cancellationToken.IsCancellationRequested && !ready.Task.IsCompleted)
        {
            if (await probe(cancellationToken).ConfigureAwait(false))
            {
                ready.TrySetResult();
                return;
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    private async Task SuperviseAsync(Task<int> exited)
    {
        var backoff = TimeSpan.FromSeconds(1);
        var startedAt = Stopwatch.GetTimestamp();
        while (true)
        {
            var code = await exited.ConfigureAwait(false);
            WriteLog($"--- pid {Pid} exited with code {code}");
            TryDelete(_pidFile);
            Pid = 0;
            if (_stopping.IsCancellationRequested || (_spec.Finite && code == 0))
            {
                _finished.TrySetResult();
                return;
            }
            if (Stopwatch.GetElapsedTime(startedAt) > s_stableAfter)
            {
                backoff = TimeSpan.FromSeconds(1);
            }
            Restarts++;
            _onRestart(new ChildRestart(_spec.Name, code, Restarts, backoff));
            try
            {
                await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _finished.TrySetResult();
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
            startedAt = Stopwatch.GetTimestamp();
            try
            {
                // Under the lock StopAsync takes: once it has read the current process, no new incarnation starts.
                lock (_launchLock)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        _finished.TrySetResult();
                        return;
                    }
                    exited = Launch();
                }
            }
            catch (Exception e) when (e is DemoStartupException or System.ComponentModel.Win32Exception or IOException)
            {
                WriteLog($"--- restart failed: {e.Message}");
                exited = Task.FromResult(-1);
                continue;
            }
            _ = AnnounceWhenUpAsync(_ready.Task, exited, Pid);
        }
    }

    private async Task AnnounceWhenUpAsync(Task ready, Task<int> exited, int pid)
    {
        var probe = _spec.ReadyProbe is null ? Task.CompletedTask : ProbeAsync(_spec.ReadyProbe, _ready, _stopping.Token);
        if (await Task.WhenAny(ready, exited).ConfigureAwait(false) == ready)
        {
            _onBack(_spec.Name, pid);
        }
        await probe.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// From now on an exit is expected and not restarted. Called as soon as the demo is asked to stop: a Ctrl-C in a
    /// terminal reaches the children's process group too, so they may exit before they are told to.
    /// </summary>
    public void MarkStopping()
    {
        lock (_launchLock)
        {
            _stopping.Cancel();
        }
    }

    /// <summary>SIGTERM, then a kill of the whole tree after <paramref name="grace"/>; returns once the process is gone.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Process? process;
        lock (_launchLock)
        {
            _stopping.Cancel();
            process = _process;
        }
        if (process is not null && !HasExited(process))
        {
            await Signals.TerminateAsync(process.Id).ConfigureAwait(false);
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                WriteLog($"--- pid {process.Id} did not stop within {grace.TotalSeconds:0} s; killed");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        if (_supervision is not null)
        {
            await _supervision.ConfigureAwait(false);
        }
        TryDelete(_pidFile);
        _finished.TrySetResult();
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _process?.Dispose();
        _stopping.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>POSIX signals to other processes, through the system's <c>kill</c> command.</summary>
internal static class Signals
{
    public static async Task TerminateAsync(int pid)
    {
        var info = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-TERM");
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(info);
        if (kill is not null)
        {
            await kill.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
