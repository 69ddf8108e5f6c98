using System.Diagnostics;

namespace PatientStream.Host.Commands;

/// <summary>Runs a child process to completion; cancelling kills its whole tree so nothing is left behind.</summary>
internal static class ChildProcess
{
    public static async Task<int> RunAsync(ProcessStartInfo info, CancellationToken cancellationToken)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return process.ExitCode;
    }
}
