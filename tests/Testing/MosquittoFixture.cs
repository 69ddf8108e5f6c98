using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PatientStream.Testing;

/// <summary>How a fixture Mosquitto is configured.</summary>
public sealed record MosquittoOptions
{
    /// <summary>Adds a TLS listener that requires a client certificate and takes its CN as the user name.</summary>
    public bool Tls { get; init; }

    /// <summary>CA (PEM) that signs client certificates; defaults to the fixture's own test CA.</summary>
    public string? ClientCaPemPath { get; init; }

    /// <summary>CRL (PEM) that the TLS listener checks client certificates against.</summary>
    public string? CrlPemPath { get; init; }

    /// <summary>ACL file text (Mosquitto syntax); applied to every listener when set.</summary>
    public string? Acl { get; init; }

    /// <summary>Keeps sessions and retained messages on disk across <see cref="MosquittoFixture.RestartAsync"/>.</summary>
    public bool Persistence { get; init; }

    /// <summary>Users for the plain listener (user → password); when set, anonymous access is refused there.</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>Extra lines appended to the generated mosquitto.conf.</summary>
    public string? ExtraConfig { get; init; }
}

/// <summary>
/// A real Mosquitto on free loopback ports in a temporary folder: a plain listener, and optionally a TLS listener
/// with client certificates and an ACL. Start with <see cref="InitializeAsync"/>; stops and cleans up on dispose.
/// </summary>
public class MosquittoFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string AclForDevices = """
        # devices write only below their own topic; a CN of "edge-*" or "svc-*" may read everything
        pattern readwrite ps/v1/devices/%u/#
        """;

    private readonly TempFolder _folder = new("mosquitto");
    private ServerProcess? _server;
    private string _configPath = "";

    public MosquittoFixture() : this(new MosquittoOptions())
    {
    }

    public MosquittoFixture(MosquittoOptions options)
    {
        Options = options;
        Port = FreePort.Next();
        TlsPort = options.Tls ? FreePort.Next() : 0;
        Pki = new TestPki("PatientStream Test Broker CA");
    }

    public MosquittoOptions Options { get; }

    public int Port { get; }

    /// <summary>Port of the TLS listener, or 0 when TLS is off.</summary>
    public int TlsPort { get; }

    public static string Host => "127.0.0.1";

    /// <summary>The CA that signed the broker's certificate (and, unless overridden, the clients').</summary>
    public TestPki Pki { get; }

    public string CaPemPath => _folder.Combine("ca.crt");

    public string Folder => _folder.Path;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("Mosquitto is not started.");

    public string Log => _server?.Log ?? "";

    /// <summary>Issues a client certificate signed by the fixture CA (CN = <paramref name="commonName"/>).</summary>
    public X509Certificate2 IssueClientCertificate(string commonName) => Pki.IssueClient(commonName);

    public virtual async Task InitializeAsync()
    {
        var binary = RequiredBinary.Find("mosquitto", "mosquitto");
        _configPath = WriteConfiguration();
        await StartAsync(binary);
    }

    private async Task StartAsync(string binary)
    {
        _server = ServerProcess.Start("mosquitto", binary, ["-c", _configPath], _folder.Path);
        await _server.WaitUntilReadyAsync(async ct =>
            await FreePort.IsListeningAsync(Port, ct) && (TlsPort == 0 || await FreePort.IsListeningAsync(TlsPort, ct)),
            TimeSpan.FromSeconds(20));
    }

    /// <summary>Stops the broker gracefully (persisting sessions when enabled) and starts it again on the same ports.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync(RequiredBinary.Find("mosquitto", "mosquitto"));
    }

    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync(TimeSpan.FromSeconds(10));
            await _server.DisposeAsync();
            _server = null;
        }
    }

    /// <summary>Re-reads the configuration (ACL, CRL, password file) without dropping connections (SIGHUP).</summary>
    public void Reload() => Server.Signal(1);

    private string WriteConfiguration()
    {
        var config = new StringBuilder();
        config.AppendLine("per_listener_settings true");
        config.AppendLine("user root");
        config.AppendLine("log_dest stdout");
        config.AppendLine("log_type error");
        config.AppendLine("log_type warning");
        config.AppendLine("log_type notice");
        config.AppendLine("log_type information");
        config.AppendLine("connection_messages true");
        config.AppendLine("log_timestamp_format %Y-%m-%dT%H:%M:%S");
        if (Options.Persistence)
        {
            config.AppendLine("persistence true");
            config.AppendLine($"persistence_location {_folder.Path}/");
            config.AppendLine("autosave_interval 1");
        }
        else
        {
            config.AppendLine("persistence false");
        }

        string? aclPath = null;
        if (Options.Acl is not null)
        {
            aclPath = _folder.Combine("acl");
            File.WriteAllText(aclPath, Options.Acl + "\n");
        }

        config.AppendLine($"listener {Port} 127.0.0.1");
        if (Options.Users is { Count: > 0 })
        {
            var passwordPath = _folder.Combine("passwords");
            WritePasswordFile(passwordPath, Options.Users);
            config.AppendLine("allow_anonymous false");
            config.AppendLine($"password_file {passwordPath}");
        }
        else
        {
            config.AppendLine("allow_anonymous true");
        }
        if (aclPath is not null)
        {
            config.AppendLine($"acl_file {aclPath}");
        }

        File.WriteAllText(CaPemPath, Pki.Ca.ExportCertificatePem());
        if (Options.Tls)
        {
            using var serverCert = Pki.IssueServer("localhost");
            var (certPath, keyPath) = TestPki.WritePem(serverCert, _folder.Path, "server");
            config.AppendLine($"listener {TlsPort} 127.0.0.1");
            config.AppendLine($"cafile {Options.ClientCaPemPath ?? CaPemPath}");
            config.AppendLine($"certfile {certPath}");
            config.AppendLine($"keyfile {keyPath}");
            config.AppendLine("require_certificate true");
            config.AppendLine("use_identity_as_username true");
            config.AppendLine("allow_anonymous false");
            if (Options.CrlPemPath is not null)
            {
                config.AppendLine($"crlfile {Options.CrlPemPath}");
            }
            if (aclPath is not null)
            {
                config.AppendLine($"acl_file {aclPath}");
            }
        }
        if (Options.ExtraConfig is not null)
        {
            config.AppendLine(Options.ExtraConfig);
        }
        var path = _folder.Combine("mosquitto.conf");
        File.WriteAllText(path, config.ToString());
        return path;
    }

    private static void WritePasswordFile(string path, IReadOnlyDictionary<string, string> users)
    {
        var tool = RequiredBinary.Find("mosquitto_passwd", "mosquitto");
        File.WriteAllText(path, "");
        foreach (var (user, password) in users)
        {
            using var process = System.Diagnostics.Process.Start(tool, ["-b", path, user, password]);
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"mosquitto_passwd failed for user {user}");
            }
        }
    }

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        Pki.Dispose();
        _folder.Dispose();
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Mosquitto with a TLS listener (client certificates required, CN as user name) and the device ACL.</summary>
public sealed class MosquittoTlsFixture() : MosquittoFixture(new MosquittoOptions { Tls = true, Acl = AclForDevices });
