using System.Globalization;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>
/// A real TPM 2.0 (Debian swtpm) on free loopback ports, driven with tpm2-tools as a device would drive its TPM.
/// </summary>
public sealed class SoftwareTpm : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly int _pid;
    private readonly Dictionary<string, string> _environment;

    private SoftwareTpm(TempDirectory dir, int pid, int port)
    {
        _dir = dir;
        _pid = pid;
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TPM2TOOLS_TCTI"] = string.Create(CultureInfo.InvariantCulture, $"swtpm:host=127.0.0.1,port={port}"),
        };
    }

    public static async Task<SoftwareTpm> StartAsync()
    {
        var swtpm = ExternalProcess.Require("swtpm", "swtpm swtpm-tools");
        ExternalProcess.Require("tpm2_activatecredential", "tpm2-tools");
        var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("state"));
        var port = ExternalProcess.FreePortPair();
        var control = port + 1;

        // With --daemon the launcher exits only after the server and control sockets listen, so its exit is the readiness signal.
        var started = await ExternalProcess.RunAsync(swtpm, [
            "socket", "--tpm2", "--daemon",
            "--server", string.Create(CultureInfo.InvariantCulture, $"type=tcp,port={port},bindaddr=127.0.0.1"),
            "--ctrl", string.Create(CultureInfo.InvariantCulture, $"type=tcp,port={control},bindaddr=127.0.0.1"),
            "--tpmstate", "dir=" + dir.File("state"),
            "--pid", "file=" + dir.File("swtpm.pid"),
            "--flags", "not-need-init,startup-clear",
        ]);
        if (started.ExitCode != 0)
        {
            dir.Dispose();
            Assert.Fail(started.Describe("swtpm"));
        }

        var pid = int.Parse((await File.ReadAllTextAsync(dir.File("swtpm.pid"))).Trim(), CultureInfo.InvariantCulture);
        return new SoftwareTpm(dir, pid, port);
    }

    /// <summary>tpm2_createek (TCG default RSA template); returns the EK's TPM2B_PUBLIC.</summary>
    public async Task<byte[]> CreateEndorsementKeyAsync()
    {
        await ToolAsync("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
        return await File.ReadAllBytesAsync(_dir.File("ek.pub"));
    }

    /// <summary>tpm2_createak under the EK (restricted RSA signing key); returns the AK's TPM2B_PUBLIC.</summary>
    public async Task<byte[]> CreateAttestationKeyAsync()
    {
        await ToolAsync("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa", "-u", "ak.pub", "-n", "ak.name");
        return await File.ReadAllBytesAsync(_dir.File("ak.pub"));
    }

    /// <summary>tpm2_activatecredential with the EK's policy session; returns the recovered secret, or the failed run.</summary>
    public async Task<(byte[]? Secret, ProcessResult Run)> ActivateCredentialAsync(byte[] credential)
    {
        await File.WriteAllBytesAsync(_dir.File("credential.bin"), credential);
        File.Delete(_dir.File("secret.bin"));
        await ToolAsync("tpm2_startauthsession", "--policy-session", "-S", "session.ctx");
        await ToolAsync("tpm2_policysecret", "-S", "session.ctx", "-c", "e");
        var run = await RunToolAsync("tpm2_activatecredential", "-c", "ak.ctx", "-C", "ek.ctx", "-i", "credential.bin", "-o", "secret.bin", "-P", "session:session.ctx");
        await ToolAsync("tpm2_flushcontext", "session.ctx");
        await ToolAsync("tpm2_flushcontext", "-t");
        return (run.ExitCode == 0 ? await File.ReadAllBytesAsync(_dir.File("secret.bin")) : null, run);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(_pid);
            process.Kill();
            await process.WaitForExitAsync();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }

        _dir.Dispose();
    }

    private async Task ToolAsync(string tool, params string[] arguments)
    {
        var run = await RunToolAsync(tool, arguments);
        Assert.True(run.ExitCode == 0, run.Describe(tool));

        // Without a resource manager transient objects stay loaded in the TPM; tools reload them from the saved contexts.
        if (tool is not "tpm2_flushcontext" and not "tpm2_startauthsession" and not "tpm2_policysecret")
        {
            var flush = await RunToolAsync("tpm2_flushcontext", "-t");
            Assert.True(flush.ExitCode == 0, flush.Describe("tpm2_flushcontext"));
        }
    }

    private Task<ProcessResult> RunToolAsync(string tool, params string[] arguments) =>
        ExternalProcess.RunAsync(ExternalProcess.Require(tool, "tpm2-tools"), arguments, _environment, _dir.Path);
}
