using System.Diagnostics;
using System.Threading.Channels;
using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Interop;

/// <summary>An independent MQTT peer run as a child process; its output lines are read with deadlines, never by sleeping.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _errors = [];

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.Add(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("Cannot start " + fileName));
    }

    public static ChildProcess Paho(IEnumerable<string> arguments)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            throw new MissingBinaryException("python3", "python3-paho-mqtt");
        }
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "paho_peer.py");
        return Start(python, [script, .. arguments]);
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    /// <summary>The next line that is not mosquitto_sub debug chatter about its own packets.</summary>
    public async Task<string> ReadLineAsync(Func<string, bool>? accept = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(deadline.Token);
                if (accept is null || accept(line))
                {
                    return line;
                }
            }
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The peer exited before printing the expected line. stderr: " + Errors);
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
