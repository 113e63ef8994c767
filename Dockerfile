# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/ModelRegistry/ModelRegistry.csproj -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Registry__Storage__Root=/data/models
# Created before VOLUME so a fresh named volume inherits the non-root owner.
RUN mkdir -p /data/models && chown "$APP_UID" /data/models
COPY --from=build /app ./
USER $APP_UID
VOLUME /data/models
EXPOSE 8080
ENTRYPOINT ["dotnet", "ModelRegistry.dll"]
