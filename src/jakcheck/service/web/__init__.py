"""The clinician web app: start page, report page and knowledge pages, rendered on the server.

Everything a page needs is in this package: Jinja2 templates (autoescaping on; patient-derived text is never
marked safe), one stylesheet and a few lines of optional JavaScript served from `/static/`. No CDN, no external
fonts, no tracking: the app works on a machine without internet.

Routes (all HTML):

* `GET /` start page: upload a FHIR Bundle, paste JSON, or fill a short form (built into a patient card, see
  docs/patient-card.md). Region and assessment date are chosen for all three.
* `POST /assess` the report page for that input; bad input gives an error page naming the problem (HTTP 422 for
  a record that cannot be read, 400 for a malformed request, 413 for one that is too large).
* `GET /knowledge`, `/knowledge/drugs/{id}`, `/knowledge/rules`, `/knowledge/rules/{module}`,
  `/knowledge/sources`, `/knowledge/sources/{id}`: the knowledge release as a clinician reads it.
* `GET /report/{token}` the interactive report for an assessment the service keeps behind a CDS Hooks card's link
  (`app.state.report_cache`); it takes precedence over the service's plain report at the same path.
* `GET /static/{name}` the stylesheet, script, icon and the rule spec scenarios.

One module per job:

* `routes`: the routes above except the knowledge pages, and reading the record a form carries;
* `form`: the short form's vocabulary, the patient card built from it and its validation;
* `report_view`: the report page's view model (CV risk box, trial pictures, evidence, reasons per drug);
* `knowledge_pages`: the knowledge pages and their routes;
* `page`: the template environment, security headers, error page and the app state a page reads.

Logging: only counts, timings, region and status are logged, never patient data or identifiers.

The app factory (`jakcheck.service.app.create_app`) includes `router`. It may put `settings` (a
`jakcheck.settings.Settings`), `knowledge` and `insecure_dev` on `app.state`; each has a default here.
"""

from jakcheck.service.web.routes import router

__all__ = ["router"]
