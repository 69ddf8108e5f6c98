using System.Net;
using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

public sealed class ServeCommandTests
{
    [Fact]
    public async Task Server_answers_health_on_its_loopback_port()
    {
        using var data = new TempFolder("serve");
        var settings = new ServerSettings(FreePort.Next(), data.Path, "sqlite", null);
        await using var app = ServerHost.Build(settings);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(settings.BaseUrl) };
        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"status\":\"ok\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Theory]
    [InlineData(70000, "sqlite", null, "--port")]
    [InlineData(8080, "mongo", null, "--store")]
    [InlineData(8080, "postgres", null, "--postgres")]
    public void Invalid_server_settings_are_refused_with_the_option_named(int port, string store, string? postgres, string expected)
    {
        var problems = new ServerSettings(port, "/tmp", store, postgres).Problems().ToList();
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_command_describes_itself_in_help()
    {
        foreach (var command in new[] { "serve", "demo", "test", "bench" })
        {
            var output = new StringWriter();
            var root = new System.CommandLine.RootCommand { ServeCommand.Create(), DemoCommand.Create(), TestCommand.Create(), BenchCommand.Create() };
            var result = root.Parse([command, "--help"]);
            var exit = await result.InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output });
            Assert.Equal(0, exit);
            Assert.Contains("Usage:", output.ToString(), StringComparison.Ordinal);
            Assert.Contains(command, output.ToString(), StringComparison.Ordinal);
        }
    }
}
