/*
 * web_assets.h - the dashboard's files built into the federation binary
 * (the definitions are generated from federation/web by
 * deploy/embed-web.sh at build time).
 */
#ifndef FEDERATION_WEB_ASSETS_H
#define FEDERATION_WEB_ASSETS_H

#include <stddef.h>

#include "http_api.h"

extern const struct api_asset web_assets[];
extern const size_t web_assets_count;

#endif
