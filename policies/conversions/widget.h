/*
 * conversions/widget.h: Widget (rig.example.com), the CRD of the captured
 * apiserver request (payloads/apiserver-v1.36/convert.json: a v1 Widget
 * asked for as v2). Both versions have the same schema (spec.size), so a
 * conversion is the apiVersion change alone; v2, the newer, is the hub.
 *
 *	#include "conversions/widget.h"
 *	#define POLICY_CONVERSIONS	{ &widget_conversion }
 */
#ifndef TINYHOOK_CONVERSIONS_WIDGET_H
#define TINYHOOK_CONVERSIONS_WIDGET_H

#include "convert.h"

static const struct convert_version widget_versions[] = {
	CONVERT_HUB(       "v2"),
	CONVERT_SAME(      "v1"),	/* same schema: only apiVersion changes */
};

static const struct convert_kind widget_conversion = {
	"rig.example.com", "Widget", "v2", CONVERT_VERSIONS(widget_versions)
};

#endif
