using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace PatientStream.Testing;

/// <summary>
/// A server started for a test: output captured (bounded), readiness awaited, stopped with a signal and then
/// killed with its whole process tree. Every live instance is tracked so tests can prove nothing is left behind.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private const int MaxLogLines = 2000;
    private static readonly ConcurrentDictionary<int, string> s_live = new();
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pidCache;

    private ServerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Completes when the process exits, for any reason.</summary>
    public Task Exited => _exited.Task;

    /// <summary>Processes started by fixtures that have not exited yet (pid → name).</summary>
    public static IReadOnlyDictionary<int, string> Live => s_live;

    public string Log => string.Join('\n', _log);

    public static ServerProcess Start(string name, string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process, name);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Exited += (_, _) =>
        {
            s_live.TryRemove(server._pidCache, out _);
            server._exited.TrySetResult();
        };
        process.Start();
        server._pidCache = process.Id;
        s_live[process.Id] = name;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        _log.Enqueue(line);
        while (_log.Count > MaxLogLines && _log.TryDequeue(out _))
        {
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it answers true, the process dies, or the deadline passes.</summary>
    public async Task WaitUntilReadyAsync(Func<CancellationToken, Task<bool>> probe, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready:\n{Log}");
            }
            try
            {
                if (await probe(deadline.Token))
                {
                    return;
                }
                await Task.Delay(delay, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s:\n{Log}");
            }
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Sends a POSIX signal (SIGTERM by default) to the process.</summary>
    public void Signal(int signal = Signals.Term)
    {
        if (!_process.HasExited)
        {
            _ = NativeKill(_process.Id, signal);
        }
    }

    /// <summary>Sends a POSIX signal to any process (for servers whose real pid differs from the launcher's).</summary>
    public static void SendSignal(int pid, int signal) => _ = NativeKill(pid, signal);

    /// <summary>Kills the process tree at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>Asks the process to stop, waits a grace period, then kills its tree.</summary>
    public async Task StopAsync(TimeSpan grace, int signal = Signals.Term)
    {
        Signal(signal);
        if (await Task.WhenAny(_exited.Task, Task.Delay(grace)) != _exited.Task)
        {
            Kill();
        }
        await _process.WaitForExitAsync();
        s_live.TryRemove(_pidCache, out _);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    public override string ToString() => new StringBuilder().Append(Name).Append(" pid ").Append(_pidCache).ToString();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);
}

public static class Signals
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Term = 15;
}
