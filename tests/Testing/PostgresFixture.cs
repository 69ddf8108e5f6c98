using System.Diagnostics;
using Npgsql;

namespace PatientStream.Testing;

/// <summary>
/// A real PostgreSQL cluster (initdb in a temporary folder) on a free loopback port. PostgreSQL refuses to run as
/// root, so when the test runs as root the server runs as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly TempFolder _folder = new("postgres");
    private ServerProcess? _server;

    public int Port { get; } = FreePort.Next();

    public ServerProcess Server => _server ?? throw new InvalidOperationException("PostgreSQL is not started.");

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Include Error Detail=true";

    /// <summary>Creates a fresh database and returns its connection string, so test classes stay independent.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async Task InitializeAsync()
    {
        var initdb = RequiredBinary.Find("initdb", "postgresql");
        var postgres = Path.Combine(Path.GetDirectoryName(ResolveLink(initdb))!, "postgres");
        if (!File.Exists(postgres))
        {
            throw new MissingBinaryException("postgres", "postgresql");
        }
        var data = _folder.Combine("data");
        Directory.CreateDirectory(data);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _folder.Path]);
        }
        await RunAsync(asRoot ? "runuser" : initdb,
            [.. (asRoot ? new[] { "-u", "postgres", "--", initdb } : []), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        string[] serverArgs =
        [
            "-D", data, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={_folder.Path}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
        ];
        _server = asRoot
            ? ServerProcess.Start("postgres", "runuser", ["-u", "postgres", "--", postgres, .. serverArgs])
            : ServerProcess.Start("postgres", postgres, serverArgs);
        await _server.WaitUntilReadyAsync(async ct =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=2");
                await connection.OpenAsync(ct);
                return true;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60));
    }

    private static string ResolveLink(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    private static async Task RunAsync(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            // SIGINT to the postmaster is PostgreSQL's "fast" shutdown; the launcher (runuser) exits after it.
            var pidFile = _folder.Combine("data", "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllLinesAsync(pidFile))[0], out var postmaster))
            {
                ServerProcess.SendSignal(postmaster, Signals.Interrupt);
            }
            await _server.StopAsync(TimeSpan.FromSeconds(15), Signals.Interrupt);
            await _server.DisposeAsync();
        }
        _folder.Dispose();
    }
}
