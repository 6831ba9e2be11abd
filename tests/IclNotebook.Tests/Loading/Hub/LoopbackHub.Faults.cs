using System.Net;

namespace IclNotebook.Tests.Loading.Hub;

/// <summary>How the loopback hub answers a request it was told to fail (<see cref="FaultKind"/>).</summary>
internal sealed partial class LoopbackHub
{
    private static bool Fail(HttpListenerContext context, Fault fault, HubFile file)
    {
        var response = context.Response;
        switch (fault.Kind)
        {
            case FaultKind.ServerError: Status(response, 500); return true;
            case FaultKind.Unauthorized: Status(response, 401); return true;
            case FaultKind.NotFound: Status(response, 404); return true;
            case FaultKind.Truncate:
                response.ContentLength64 = file.Content.Length;
                response.OutputStream.Write(file.Content, 0, fault.Bytes);
                response.Abort();
                return true;
            case FaultKind.Reset:
                response.ContentLength64 = file.Content.Length;
                response.OutputStream.Write(file.Content, 0, fault.Bytes);
                response.OutputStream.Flush();
                response.Abort();
                return true;
            case FaultKind.ShortBody:
                response.ContentLength64 = fault.Bytes;
                response.OutputStream.Write(file.Content, 0, fault.Bytes);
                response.Close();
                return true;
            default: return false;
        }
    }

    private static void Status(HttpListenerResponse response, int code)
    {
        response.StatusCode = code;
        response.ContentLength64 = 0;
        response.Close();
    }
}
