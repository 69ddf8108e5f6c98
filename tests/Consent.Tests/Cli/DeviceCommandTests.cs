using System.CommandLine;
using PatientStream.Consent.Cli;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Cli;

public sealed class DeviceCommandTests : ConsentServerTest
{
    private readonly StringWriter _output = new();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _output.Dispose();
        }

        base.Dispose(disposing);
    }

    private Task<int> Run(params string[] args) =>
        new RootCommand { DeviceCommand.Create(_output) }.Parse([.. args, "--server", Server.Address.ToString()]).InvokeAsync();

    [Fact]
    public async Task Clinician_binds_shows_unbinds_and_revokes_a_device_from_the_command_line()
    {
        Assert.Equal(0, await Run("device", "bind", "dev-1", "--patient", "Patient/123", "--clinician", "Practitioner/dr-a"));
        Assert.Equal(0, await Run("device", "show", "dev-1"));
        Assert.Contains("\"patient\":\"Patient/123\"", _output.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, await Run("device", "unbind", "dev-1", "--clinician", "Practitioner/dr-a"));
        Assert.Equal(0, await Run("device", "revoke", "dev-1", "--reason", "lost", "--by", "Practitioner/dr-a"));

        Assert.Single((await Store.AuditOfAsync("device-bound")));
        Assert.Single((await Store.AuditOfAsync("device-unbound")));
        Assert.Single((await Store.AuditOfAsync("certificate-revoked")));
        Assert.Equal("inactive", (await Store.Records.FindDeviceAsync("dev-1", CancellationToken.None))!.Value.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Refused_action_exits_non_zero_with_the_reason()
    {
        Assert.Equal(1, await Run("device", "bind", "dev-1", "--patient", "123", "--clinician", "Practitioner/dr-a"));

        Assert.Contains("refused (400)", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("patient reference", _output.ToString(), StringComparison.Ordinal);
    }
}
