using System.Diagnostics;
using System.Text;

namespace PatientStream.Consent.Tests.Fixtures;

public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    public string Describe(string what) => $"{what} exited {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs the real system tools the tests drive (mosquitto, swtpm, tpm2-tools).</summary>
public static class ExternalProcess
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Fails the test loudly, with the install command, when a required binary is missing.</summary>
    public static string Require(string binary, string package)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(folder, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var folder in new[] { "/usr/sbin", "/usr/bin", "/sbin" })
        {
            var candidate = Path.Combine(folder, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"'{binary}' is not installed; install it with: sudo apt-get install -y {package}");
        return binary;
    }

    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {Deadline}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>Starts a long-running server and completes once a line of its output shows it is ready.</summary>
    public static async Task<Process> StartServerAsync(string file, IEnumerable<string> arguments, Func<string, bool> isReady, StringBuilder log)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (isReady(e.Data))
            {
                ready.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{file} exited before it was ready:\n{Snapshot(log)}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(Deadline);
        }
        catch
        {
            Stop(process);
            throw;
        }

        return process;
    }

    public static void Stop(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Two consecutive free ports (port, port + 1), as the swtpm TCTI expects for its server and control channel.</summary>
    public static int FreePortPair()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var first = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            first.Start();
            var port = ((System.Net.IPEndPoint)first.LocalEndpoint).Port;
            if (port >= ushort.MaxValue)
            {
                continue;
            }

            using var second = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port + 1);
            try
            {
                second.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // port + 1 is taken: draw another pair.
            }
            finally
            {
                second.Stop();
            }
        }

        throw new InvalidOperationException("no two consecutive free loopback ports");
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
