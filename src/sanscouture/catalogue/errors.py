from sanscouture.errors import NotFound


class LifeEventNotFound(NotFound):
    code = "moment_de_vie_inconnu"


class PublicationNotFound(NotFound):
    code = "publication_inconnue"
