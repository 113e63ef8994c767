using Microsoft.Extensions.FileProviders;

namespace ModelRegistry.Ui;

/// <summary>
/// The web UI: static pages and modules (<c>Ui/assets</c>, copied next to the build) that call the HTTP API with the
/// key the user pasted; <c>/</c> answers the shell, <c>/ui/…</c> its assets. See ADR 13.
/// </summary>
internal static class UiModule
{
    private static readonly PhysicalFileProvider Assets = new(Path.Combine(AppContext.BaseDirectory, "Ui", "assets"));

    /// <summary>Before authentication: the assets are public, what they show comes from the API, which checks the key.</summary>
    public static WebApplication UseUi(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Assets,
            RequestPath = "/ui",
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    public static IEndpointRouteBuilder MapUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.File(Assets.GetFileInfo("index.html").CreateReadStream(), "text/html; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
